import { readFileSync } from 'node:fs';
const { validateSpec } = await import('../dist/spec/validate.js');
const { buildPlan } = await import('../dist/plan/build.js');
const { targets } = await import('../dist/targets/registry.js');
const v = validateSpec(readFileSync(process.argv[2], 'utf8'), 'x.yaml');
const t = targets.get('mikrotik');
const plan = buildPlan(v.site, v.profile, t.capabilities(v.site), 'mikrotik');
for (let i = 0; i < 500; i++) t.render(plan, v.site, { withSecrets: false, env: {} });
