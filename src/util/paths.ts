import { fileURLToPath } from 'node:url';

/** The package root (holds templates/, schemas/, profiles/): two levels above this file in src/ and in dist/. */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
