import { readFileSync } from 'node:fs';
import type { RunLogHeader, RunRecord } from '../../shared/run-record.js';
import type { TrainerEventOf } from '../../shared/trainer-protocol.js';
import { writeFileAtomic } from '../atomic-file.js';
import { RunColumns, SERIES_GROUPS } from './run-columns.js';

/** A run's log, read once and kept as what readers need: its events, and its series as columns. */
export interface RunContents {
  header: RunLogHeader;
  /** Every record but `step` records, whose values live in `series`. */
  events: RunRecord[];
  lastStep: TrainerEventOf<'step'> | null;
  series: RunColumns;
  tornTail: boolean;
}

/** The log this was read from, by size and modification time. */
export interface LogFingerprint {
  size: number;
  mtimeMs: number;
}

const MAGIC = Buffer.from('HPCSER1\n');

interface CacheHead extends LogFingerprint {
  header: RunLogHeader;
  events: RunRecord[];
  lastStep: TrainerEventOf<'step'> | null;
  tornTail: boolean;
  /** Which column each length is for: a cache written with other columns is stale. */
  layout: string[];
  lengths: number[];
}

const layout = (series: RunColumns) => SERIES_GROUPS.flatMap((g) => series.groups[g].columnNames().map((c) => `${g}.${c}`));

/**
 * `series.cache` beside a run's log: its contents as a JSON head plus the raw column bytes, so a
 * stored million-step run opens in milliseconds instead of re-parsing its log. Derived data: it
 * holds the fingerprint of the log it came from and is rebuilt whenever that no longer matches.
 */
export function writeSeriesCache(file: string, contents: RunContents, log: LogFingerprint): void {
  const columns = SERIES_GROUPS.flatMap((g) => contents.series.groups[g].columns().map((c) => c.view()));
  const head: CacheHead = {
    ...log,
    header: contents.header,
    events: contents.events,
    lastStep: contents.lastStep,
    tornTail: contents.tornTail,
    layout: layout(contents.series),
    lengths: columns.map((c) => c.length),
  };
  const json = Buffer.from(JSON.stringify(head));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(json.length);
  writeFileAtomic(file, Buffer.concat([MAGIC, size, json, ...columns.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))]));
}

/** The cached contents when the cache matches `log`; null when absent, stale or unreadable. */
export function readSeriesCache(file: string, log: LogFingerprint): RunContents | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  try {
    if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) return null;
    const jsonLength = bytes.readUInt32LE(MAGIC.length);
    let offset = MAGIC.length + 4;
    const head = JSON.parse(bytes.toString('utf8', offset, offset + jsonLength)) as CacheHead;
    if (head.size !== log.size || head.mtimeMs !== log.mtimeMs) return null;
    offset += jsonLength;
    const series = new RunColumns(head.header.createdAt);
    if (JSON.stringify(head.layout) !== JSON.stringify(layout(series))) return null;
    let k = 0;
    for (const g of SERIES_GROUPS) {
      for (const column of series.groups[g].columns()) {
        const length = head.lengths[k++]!;
        const bytesPer = column.view().BYTES_PER_ELEMENT;
        const copy = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + length * bytesPer);
        if (copy.byteLength !== length * bytesPer) return null;
        column.replace(bytesPer === 8 ? new Float64Array(copy) : (new Float32Array(copy) as never));
        offset += length * bytesPer;
      }
    }
    return { header: head.header, events: head.events, lastStep: head.lastStep, series, tornTail: head.tornTail };
  } catch {
    return null;
  }
}
