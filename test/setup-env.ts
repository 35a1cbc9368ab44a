// `npm test` runs vitest with npm_command set, and chargewall's printed hints then say `npx chargewall`
// (src/cli/main.ts). Tests start the CLI as a person would from a shell, so it is not inherited;
// a test that wants the npx form sets it explicitly (test/workflow.test.ts).
delete process.env.npm_command;
