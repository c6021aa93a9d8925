import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { configReferenceMarkdown } from '../../config/docs.ts';
import { configJsonSchema } from '../../config/jsonschema.ts';
import { asyncApiYaml, payloadSchemaFiles } from '../contract/asyncapi.ts';
import { errorsMarkdown } from '../errors.ts';
import { openApiYaml } from '../app/openapi.ts';
import { VERB_HELP } from './verbs.ts';

/** Every generated document of the repository: path → content. Tests compare them to the files. */
export function generatedDocs(): Record<string, string> {
  return {
    'docs/schemas/lineside.config.schema.json': `${JSON.stringify(configJsonSchema(), null, 2)}\n`,
    'docs/CONFIG.md': configReferenceMarkdown(),
    'docs/asyncapi.yaml': asyncApiYaml(),
    ...payloadSchemaFiles(),
    'docs/ERRORS.md': errorsMarkdown(),
    'docs/openapi.yaml': openApiYaml(),
  };
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description(VERB_HELP.schema)
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
  program
    .command('gen-docs', { hidden: true })
    .description(VERB_HELP['gen-docs'])
    .option('--root <dir>', 'repository root', process.cwd())
    .action((opts: { root: string }) => {
      for (const [path, content] of Object.entries(generatedDocs())) {
        const file = join(opts.root, path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content);
        process.stdout.write(`wrote ${path}\n`);
      }
    });
}
