import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { RUN_LOG_FORMAT, RUN_LOG_VERSION, RunLogHeader, RunRecord, type RunLogHeader as Header } from '../shared/run-record.js';

/**
 * A run's append-only log: one JSON header line (format + version), then one JSON record
 * per line. Each record is written whole with a single write, so a crash can tear at most
 * the last line, which the reader drops.
 */
export class RunLogWriter {
  private fd: number | null;
  private unsynced = 0;

  private constructor(fd: number) {
    this.fd = fd;
  }

  static create(file: string, header: Omit<Header, 'format' | 'version'>): RunLogWriter {
    const fd = openSync(file, 'wx');
    const writer = new RunLogWriter(fd);
    writer.writeLine({ format: RUN_LOG_FORMAT, version: RUN_LOG_VERSION, ...header });
    writer.sync();
    return writer;
  }

  /** Reopens a log to continue it; a torn last line is closed off first so it cannot swallow the next record. */
  static append(file: string): RunLogWriter {
    const writer = new RunLogWriter(openSync(file, 'a+'));
    const size = fstatSync(writer.fd!).size;
    const last = Buffer.alloc(1);
    if (size > 0 && readSync(writer.fd!, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) writeSync(writer.fd!, '\n');
    return writer;
  }

  /** `durable` forces the record to disk now (status changes); others are synced in batches. */
  append(record: RunRecord, durable = false): void {
    this.appendAll([record], durable);
  }

  /** Several records in one write (a batch of steps). */
  appendAll(records: readonly RunRecord[], durable = false): void {
    if (this.fd === null) throw new Error('run log is closed');
    writeSync(this.fd, records.map((r) => JSON.stringify(r) + '\n').join(''));
    this.unsynced += records.length;
    if (durable || this.unsynced >= 256) this.sync();
  }

  sync(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    this.unsynced = 0;
  }

  close(): void {
    if (this.fd === null) return;
    this.sync();
    closeSync(this.fd);
    this.fd = null;
  }

  private writeLine(value: unknown): void {
    if (this.fd === null) throw new Error('run log is closed');
    writeSync(this.fd, JSON.stringify(value) + '\n');
  }
}

export interface RunLogContents {
  header: Header;
  records: RunRecord[];
  /** The last line had no newline: a write torn by a crash, left out. */
  tornTail: boolean;
  /** Complete lines that did not parse or match a known record (e.g. from a newer release). */
  skippedLines: number;
}

export class RunLogError extends Error {
  override name = 'RunLogError';
}

export function readRunLog(file: string): RunLogContents {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  const tornTail = tail.length > 0;
  const headerLine = lines.shift();
  if (headerLine === undefined) throw new RunLogError(`${file}: empty run log (no header line)`);
  const header = RunLogHeader.safeParse(parseJson(headerLine));
  if (!header.success) throw new RunLogError(`${file}: not an HPC Studio run log (bad header)`);
  if (header.data.version > RUN_LOG_VERSION) {
    throw new RunLogError(
      `${file}: run log version ${header.data.version} was written by a newer HPC Studio (this one reads up to ${RUN_LOG_VERSION})`,
    );
  }
  const records: RunRecord[] = [];
  let skippedLines = 0;
  for (const line of lines) {
    const record = RunRecord.safeParse(parseJson(line));
    if (record.success) records.push(record.data);
    else skippedLines++;
  }
  return { header: header.data, records, tornTail, skippedLines };
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
