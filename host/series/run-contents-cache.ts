import { statSync } from 'node:fs';
import type { RunRecord } from '../../shared/run-record.js';
import { readRunLog } from '../run-log.js';
import { RunColumns } from './run-columns.js';
import { readSeriesCache, writeSeriesCache, type LogFingerprint, type RunContents } from './series-cache-file.js';

interface Entry {
  contents: RunContents;
  /** Null while the run trains: its contents then follow the records as they are written. */
  log: LogFingerprint | null;
}

export interface RunFiles {
  log: string;
  seriesCache: string;
}

/** Folds a log's records into contents: events kept as records, steps into columns. */
function foldRecords(header: RunContents['header'], records: readonly RunRecord[], tornTail: boolean): RunContents {
  const contents: RunContents = { header, events: [], lastStep: null, series: new RunColumns(header.createdAt), tornTail };
  for (const r of records) applyRecord(contents, r);
  return contents;
}

function applyRecord(contents: RunContents, record: RunRecord): void {
  contents.series.apply(record);
  if (record.type === 'step') contents.lastStep = record;
  else contents.events.push(record);
  if (record.type === 'resume' && contents.lastStep && contents.lastStep.step > record.fromStep) contents.lastStep = null;
}

/**
 * Keeps the last few runs someone looked at in memory, and a `series.cache` beside each stored
 * run's log, so paging through a million-step run never re-reads its log. The training run's
 * contents are fed each record as it is written instead of being re-read.
 */
export class RunContentsCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly files: (runId: string) => RunFiles,
    private readonly capacity = 4,
  ) {}

  get(runId: string, active: boolean): RunContents {
    const files = this.files(runId);
    const cached = this.entries.get(runId);
    if (active) {
      if (cached && cached.log === null) return this.touch(runId, cached).contents;
      const log = readRunLog(files.log);
      return this.keep(runId, { contents: foldRecords(log.header, log.records, log.tornTail), log: null }).contents;
    }
    const stat = statSync(files.log);
    const fingerprint = { size: stat.size, mtimeMs: stat.mtimeMs };
    if (cached?.log && cached.log.size === fingerprint.size && cached.log.mtimeMs === fingerprint.mtimeMs) return this.touch(runId, cached).contents;
    const fromCache = readSeriesCache(files.seriesCache, fingerprint);
    if (fromCache) return this.keep(runId, { contents: fromCache, log: fingerprint }).contents;
    const log = readRunLog(files.log);
    const contents = foldRecords(log.header, log.records, log.tornTail);
    try {
      writeSeriesCache(files.seriesCache, contents, fingerprint);
    } catch {
      // A read-only data folder still shows the run; it is only slower to open next time.
    }
    return this.keep(runId, { contents, log: fingerprint }).contents;
  }

  /** A record just written to a training run's log. */
  record(runId: string, record: RunRecord): void {
    const entry = this.entries.get(runId);
    if (entry?.log === null) applyRecord(entry.contents, record);
  }

  forget(runId: string): void {
    this.entries.delete(runId);
  }

  private keep(runId: string, entry: Entry): Entry {
    this.entries.delete(runId);
    this.entries.set(runId, entry);
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      if (e.log !== null) this.entries.delete(id);
    }
    return entry;
  }

  private touch(runId: string, entry: Entry): Entry {
    this.entries.delete(runId);
    this.entries.set(runId, entry);
    return entry;
  }
}
