import { readFileSync } from 'node:fs';

/** The agent's version, from package.json (published in the birth message). */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
