import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../shared/run-config.js';
import { EMPTY_RUN_META, RunMeta, type RunDetail, type RunRecord, type RunSummary } from '../shared/run-record.js';
import { ApiError } from '../shared/rpc-protocol.js';
import { writeFileAtomic } from './atomic-file.js';
import type { SeriesWindow } from '../shared/series-window.js';
import { readRunLog, RunLogWriter, type RunLogContents } from './run-log.js';
import { summarizeRun } from './run-summary.js';
import { RunContentsCache } from './series/run-contents-cache.js';
import type { RunContents } from './series/series-cache-file.js';

const RUN_ID = /^run-\d{8}-\d{6}-[0-9a-f]{4}$/;
const LOG_FILE = 'run.log.jsonl';

export interface RunPaths {
  dir: string;
  log: string;
  config: string;
  /** Tags, note, archived: the user's, kept apart from the append-only log. */
  meta: string;
  checkpoints: string;
  /** The log's contents in columns, rebuilt from the log whenever it is stale. */
  seriesCache: string;
  /** The cached evaluation of the run's best (else latest) checkpoint. */
  evaluation: string;
  /** A compression run's variants, each an hpc-model package `models/<label>/`. */
  models: string;
}

/**
 * Runs on disk under `<dataDir>/runs/<id>/`: the append-only log (the source of truth),
 * `config.json` for people and scripts, and the trainer's `checkpoints/`.
 */
export class RunStore {
  readonly runsDir: string;
  private readonly contents = new RunContentsCache((runId) => this.existing(runId));
  /** Summaries of stored runs by their log's size and mtime: listing runs must not re-read every run's series. */
  private readonly summaryCache = new Map<string, { size: number; mtimeMs: number; summary: RunSummary }>();

  constructor(
    dataDir: string,
    private readonly now: () => number = Date.now,
    private readonly randomHex: () => string = () => Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0'),
  ) {
    this.runsDir = join(dataDir, 'runs');
    mkdirSync(this.runsDir, { recursive: true });
  }

  paths(runId: string): RunPaths {
    if (!RUN_ID.test(runId)) throw new ApiError({ code: 'not-found', message: `runId: no run named ${JSON.stringify(runId)}` });
    const dir = join(this.runsDir, runId);
    return {
      dir,
      log: join(dir, LOG_FILE),
      config: join(dir, 'config.json'),
      meta: join(dir, 'meta.json'),
      checkpoints: join(dir, 'checkpoints'),
      seriesCache: join(dir, 'series.cache'),
      evaluation: join(dir, 'evaluation.json'),
      models: join(dir, 'models'),
    };
  }

  create(config: RunConfig): { runId: string; log: RunLogWriter } {
    const createdAt = this.now();
    for (;;) {
      const runId = `run-${stamp(createdAt)}-${this.randomHex()}`;
      const p = this.paths(runId);
      try {
        mkdirSync(p.dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw error;
      }
      mkdirSync(p.checkpoints);
      writeFileAtomic(p.config, JSON.stringify(config, null, 2) + '\n');
      return { runId, log: RunLogWriter.create(p.log, { runId, createdAt, config }) };
    }
  }

  appendLog(runId: string): RunLogWriter {
    return RunLogWriter.append(this.existing(runId).log);
  }

  /** Newest first. A run whose log cannot be read is left out of the list, not deleted. */
  list(isActive: (runId: string) => boolean): RunSummary[] {
    const ids = readdirSync(this.runsDir).filter((id) => RUN_ID.test(id));
    const summaries: RunSummary[] = [];
    for (const id of ids) {
      try {
        summaries.push(this.summary(id, isActive(id)));
      } catch {
        continue;
      }
    }
    return summaries.sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id));
  }

  summary(runId: string, active: boolean): RunSummary {
    const stat = statSync(this.existing(runId).log);
    const cached = this.summaryCache.get(runId);
    if (!active && cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) {
      return { ...cached.summary, resumable: this.resumable(runId), meta: this.meta(runId) };
    }
    const summary = this.summarize(runId, this.contents.get(runId, active), active);
    if (!active) this.summaryCache.set(runId, { size: stat.size, mtimeMs: stat.mtimeMs, summary });
    return summary;
  }

  /** Every record of the run, as written (superseded ones included). */
  detail(runId: string, active: boolean): { summary: RunSummary; records: RunRecord[] } {
    const p = this.existing(runId);
    const log = readRunLog(p.log);
    const summary = summarizeRun(log.header, log.records, {
      active,
      resumable: this.resumable(runId),
      tornTail: log.tornTail,
      updatedAt: statSync(p.log).mtimeMs,
      meta: this.meta(runId),
    });
    return { summary, records: log.records };
  }

  /** What a run's page needs: its events (no per-step, hardware or tensor-memory records: those are read as series windows). */
  view(runId: string, active: boolean): RunDetail {
    const contents = this.contents.get(runId, active);
    return {
      summary: this.summarize(runId, contents, active),
      records: contents.events.filter((r) => r.type !== 'hardware' && r.type !== 'memory'),
      lastStep: contents.lastStep,
    };
  }

  seriesWindow(runId: string, active: boolean, query: Parameters<RunContents['series']['window']>[0]): SeriesWindow {
    return this.contents.get(runId, active).series.window(query);
  }

  /** A record the supervisor just wrote to the training run's log. */
  noteRecord(runId: string, record: RunRecord): void {
    this.contents.record(runId, record);
  }

  /** The run's log as written, header included. */
  readLog(runId: string): RunLogContents {
    return readRunLog(this.existing(runId).log);
  }

  meta(runId: string): RunMeta {
    try {
      const parsed = RunMeta.safeParse(JSON.parse(readFileSync(this.paths(runId).meta, 'utf8')));
      return parsed.success ? parsed.data : EMPTY_RUN_META;
    } catch {
      return EMPTY_RUN_META;
    }
  }

  setMeta(runId: string, change: Partial<RunMeta>): RunMeta {
    const meta = { ...this.meta(runId), ...change };
    writeFileAtomic(this.existing(runId).meta, JSON.stringify(meta, null, 2) + '\n');
    return meta;
  }

  resumable(runId: string): boolean {
    const dir = this.paths(runId).checkpoints;
    return existsSync(dir) && readdirSync(dir).some((f) => !f.startsWith('.'));
  }

  delete(runId: string): void {
    rmSync(this.existing(runId).dir, { recursive: true, force: true });
    this.contents.forget(runId);
    this.summaryCache.delete(runId);
  }

  private summarize(runId: string, contents: RunContents, active: boolean): RunSummary {
    return summarizeRun(contents.header, contents.lastStep ? [...contents.events, contents.lastStep] : contents.events, {
      active,
      resumable: this.resumable(runId),
      tornTail: contents.tornTail,
      updatedAt: statSync(this.existing(runId).log).mtimeMs,
      meta: this.meta(runId),
    });
  }

  /** The paths of a run that exists; a missing run is `not-found`. */
  existing(runId: string): RunPaths {
    const p = this.paths(runId);
    if (!existsSync(p.log)) throw new ApiError({ code: 'not-found', message: `runId: no run named ${runId}` });
    return p;
  }
}

export function stamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}-${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
}
