import { EXIT } from './exit-codes.js';

/** A failure the user can fix: exit 2, with the field (or flag) it concerns. */
export class BadInput extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** One JSON Lines record on stdout (a command's `--json` output). */
export function jsonLine(value: object): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** Says why the input was refused: each message on stderr, and with `--json` as `error` lines too. Returns exit 2. */
export function refuseInput(errors: readonly { field: string; message: string }[], json: boolean): number {
  for (const e of errors) {
    if (json) jsonLine({ type: 'error', field: e.field, message: e.message });
    process.stderr.write(`error: ${e.message}\n`);
  }
  return EXIT.badInput;
}
