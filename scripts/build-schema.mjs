// Writes schemas/model-config.schema.json from the config vocabulary (src/protocol/vocabulary.ts, through
// scripts/configSchema.ts), formatted as Prettier would.
//   npm run build:schema            (writes the schema)
//   npm run build:schema -- --check (exits 1 if the committed schema is stale; part of npm run lint)
// TypeScript sources load through tsx, a development dependency: this script is for contributors, not shipped.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { buildSchema } from './configSchema.ts';

export const SCHEMA_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas', 'model-config.schema.json');

export async function schemaText() {
  const options = (await prettier.resolveConfig(SCHEMA_PATH)) ?? {};
  return prettier.format(JSON.stringify(buildSchema(), null, 2), { ...options, filepath: SCHEMA_PATH });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await schemaText();
  let current = '';
  try {
    current = readFileSync(SCHEMA_PATH, 'utf8');
  } catch {
    // Missing: written below, or stale under --check.
  }
  if (process.argv.includes('--check')) {
    if (current !== text) {
      console.error(
        'schemas/model-config.schema.json is stale: it no longer matches src/protocol/vocabulary.ts and scripts/configSchema.ts. Run npm run build:schema.',
      );
      process.exit(1);
    }
    console.log('schemas/model-config.schema.json is up to date.');
  } else if (current !== text) {
    writeFileSync(SCHEMA_PATH, text);
    console.log('Wrote schemas/model-config.schema.json.');
  } else console.log('schemas/model-config.schema.json is up to date.');
}
