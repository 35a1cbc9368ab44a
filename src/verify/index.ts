export { verifySite } from './run.js';
export { formatJson, formatMarkdown, formatText } from './format.js';
export type { Check, CheckStatus, VerifyOptions, VerifyReport } from './types.js';
