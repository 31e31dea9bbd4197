import { join } from 'node:path';
import { inspect } from 'node:util';
import type { NodeLogger } from 'electron-log';
import type { SecretRedactor } from '../host/secrets/secret-redactor.js';

/** When main.log reaches this size it becomes main.old.log (the one before is dropped) and a new one starts. */
export const LOG_FILE_MAX_BYTES = 2 * 1024 * 1024;

/**
 * The app's log: a rotating file in the platform's logs folder (`app.getPath('logs')`), which the
 * Help menu opens, with every secret the app has handled struck out before it is written.
 * Returns the log file's path.
 */
export function configureAppLog(log: NodeLogger, logsDir: string, redactor: SecretRedactor): string {
  const file = join(logsDir, 'main.log');
  log.transports.file.resolvePathFn = () => file;
  log.transports.file.maxSize = LOG_FILE_MAX_BYTES;
  log.hooks.push((message) => ({
    ...message,
    data: message.data.map((part: unknown) => {
      if (part instanceof Error) return redactedError(part, redactor);
      // Objects are written as inspect() would show them, so their strings are struck out too.
      return typeof part === 'string' || (typeof part === 'object' && part !== null) ? redactor.redact(typeof part === 'string' ? part : inspect(part)) : part;
    }),
  }));
  return file;
}

function redactedError(error: Error, redactor: SecretRedactor): Error {
  const copy = new Error(redactor.redact(error.message));
  copy.name = error.name;
  copy.stack = error.stack && redactor.redact(error.stack);
  return copy;
}
