import { readFileSync } from 'node:fs';
const { validateSpec } = await import('../dist/spec/validate.js');
const { buildPlan } = await import('../dist/plan/build.js');
const { targets } = await import('../dist/targets/registry.js');
const text = readFileSync(process.argv[2], 'utf8');
const v = validateSpec(text, 'x.yaml');
const env = { CHARGER_WIFI_PSK: 'bench-passphrase-1' };
for (let round = 0; round < 2; round++) {
  const N = 200;
  let t = performance.now();
  for (let i = 0; i < N; i++) validateSpec(text, 'x.yaml');
  console.log('validate', ((performance.now() - t) / N).toFixed(3));
  for (const target of targets.values()) {
    const plan = buildPlan(v.site, v.profile, target.capabilities(v.site), target.id);
    t = performance.now();
    for (let i = 0; i < N; i++) buildPlan(v.site, v.profile, target.capabilities(v.site), target.id);
    const p = (performance.now() - t) / N;
    t = performance.now();
    for (let i = 0; i < N; i++) target.render(plan, v.site, { withSecrets: false, env });
    console.log(target.id, 'plan', p.toFixed(3), 'render', ((performance.now() - t) / N).toFixed(3));
  }
}
