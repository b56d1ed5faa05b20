// What services may log: an event name and flat, non-secret properties. No free-form objects, so a
// token or an SDK error (which may echo a request) cannot slip into a log line by accident.
export type LogProperties = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  info(event: string, properties?: LogProperties): void;
  warn(event: string, properties?: LogProperties): void;
  error(event: string, properties?: LogProperties): void;
}

export function formatLogLine(event: string, properties: LogProperties = {}): string {
  const fields = Object.entries(properties)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${String(value)}`);
  return [event, ...fields].join(' ');
}

/** Logger over any sink with info/warn/error of strings (the Functions InvocationContext, console). */
export function loggerFor(sink: {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}): Logger {
  return {
    info: (event, properties) => sink.info(formatLogLine(event, properties)),
    warn: (event, properties) => sink.warn(formatLogLine(event, properties)),
    error: (event, properties) => sink.error(formatLogLine(event, properties)),
  };
}
