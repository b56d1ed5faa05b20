import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The documented example settings: what a newcomer copies into local.settings.json. */
export function sampleSettings(): Record<string, string> {
  const sample = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', '..', '..', 'local.settings.sample.json'), 'utf8'),
  ) as {
    Values: Record<string, string>;
  };
  return sample.Values;
}
