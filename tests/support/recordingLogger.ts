// A Logger that keeps every line, for tests that check what was (and was not) logged.
import type { Logger } from '#src/shared/logger.js';

export function recordingLogger(lines: string[] = []): Logger & { lines: string[] } {
  const record = (event: string, properties?: object) => lines.push(`${event} ${JSON.stringify(properties ?? {})}`);
  return { lines, info: record, warn: record, error: record };
}
