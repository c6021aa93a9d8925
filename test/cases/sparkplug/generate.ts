// Regenerates golden.json from inputs.json: the agent's encoder writes the bytes, the test side's
// own decoder (built separately from the .proto) writes what they mean. Review the diff by eye.
//   node test/cases/sparkplug/generate.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { encodePayload, type SpPayload } from '../../../agent/destinations/sparkplug/payload.ts';
import { decode } from '../../integration/sparkplug/decoder.ts';

const dir = new URL('./', import.meta.url);
const inputs = JSON.parse(readFileSync(new URL('inputs.json', dir), 'utf8')) as Array<{ name: string; payload: SpPayload }>;
const golden = inputs.map(({ name, payload }) => {
  const bytes = encodePayload(payload);
  return { name, hex: Buffer.from(bytes).toString('hex'), decoded: decode(bytes) };
});
writeFileSync(new URL('golden.json', dir), `${JSON.stringify(golden, null, 2)}\n`);
