import { describeDataset } from '../../shared/run-config.js';
import { describeModel } from '../../shared/model-spec.js';
import { configEntries, finalMetric, formatBytes } from '../../shared/run-labels.js';
import type { RunSummary } from '../../shared/run-record.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { DataDirLock } from '../run-lock.js';
import { RunStore } from '../run-store.js';
import { EXIT } from './exit-codes.js';
import { table } from './text-table.js';

interface Options {
  dataDir: string;
  json: boolean;
}

function open(dataDir: string) {
  const holder = new DataDirLock(dataDir).holder();
  return { store: new RunStore(dataDir), isActive: (id: string) => holder?.runId === id };
}

/** Runs a store command, turning "no such run" and "still training" into exit 2 with the reason. */
function guarded(action: () => number): number {
  try {
    return action();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.badInput;
  }
}

/** `runs` / `runs list`: stored runs, newest first. */
export function runsListCommand(options: Options): number {
  const { store, isActive } = open(options.dataDir);
  const runs = store.list(isActive);
  if (options.json) {
    process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
    return EXIT.done;
  }
  if (runs.length === 0) {
    process.stdout.write(`no runs in ${options.dataDir}\n`);
    return EXIT.done;
  }
  const rows = runs.map((r) => [r.id, new Date(r.createdAt).toLocaleString(), describeDataset(r.config.dataset), describeModel(r.config), r.status, finalMetric(r)]);
  process.stdout.write(table([['ID', 'CREATED', 'DATASET', 'MODEL', 'STATUS', 'FINAL METRIC'], ...rows]));
  for (const r of runs) if (r.status === 'failed' && r.reason) process.stdout.write(`  ${r.id}: ${r.reason}\n`);
  return EXIT.done;
}

/** `runs show ID`: one run's config, status and results. */
export function runsShowCommand(runId: string, options: Options): number {
  return guarded(() => {
    const { store, isActive } = open(options.dataDir);
    const summary = store.summary(runId, isActive(runId));
    if (options.json) {
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      return EXIT.done;
    }
    const rows = [
      ['run', summary.id],
      ['created', new Date(summary.createdAt).toLocaleString()],
      ['status', summary.status + (summary.reason ? ` (${summary.reason})` : '')],
      ...configEntries(summary.config),
      ['backend', summary.backend ?? '-'],
      ['progress', `step ${summary.step}, epoch ${summary.epoch}`],
      ['result', finalMetric(summary)],
      ['GPU energy', summary.energyJ === undefined ? 'not readable' : `${(summary.energyJ / 3600).toFixed(2)} Wh`],
      ['hints', String(summary.hints)],
      ['tensors', summary.tensors ? `${summary.tensors.numTensors} live, ${formatBytes(summary.tensors.numBytes)}; step peak ${formatBytes(summary.tensors.peakStepBytes)}` : '-'],
      ['peak trainer RSS', summary.peakTrainerRssBytes === undefined ? '-' : formatBytes(summary.peakTrainerRssBytes)],
      ['resumable', summary.resumable ? 'yes' : 'no'],
    ];
    process.stdout.write(table(rows));
    return EXIT.done;
  });
}

/** `runs compare ID ID…`: configs side by side, differing fields marked, and final metrics. */
export function runsCompareCommand(runIds: string[], options: Options): number {
  if (runIds.length < 2) {
    process.stderr.write('error: runs compare: give at least two run ids\n');
    return EXIT.badInput;
  }
  return guarded(() => {
    const { store, isActive } = open(options.dataDir);
    const runs: RunSummary[] = runIds.map((id) => store.summary(id, isActive(id)));
    const fields = configEntries(runs[0]!.config).map(([name]) => name!);
    const perRun = runs.map((r) => new Map(configEntries(r.config) as [string, string][]));
    const differing = fields.filter((f) => new Set(perRun.map((m) => m.get(f))).size > 1);
    if (options.json) {
      process.stdout.write(JSON.stringify({ runs, differing }, null, 2) + '\n');
      return EXIT.done;
    }
    const rows = [
      ['', ...runs.map((r) => r.id)],
      ...fields.map((f) => [`${differing.includes(f) ? '*' : ' '} ${f}`, ...perRun.map((m) => m.get(f) ?? '-')]),
      ['  status', ...runs.map((r) => r.status)],
      ['  result', ...runs.map(finalMetric)],
    ];
    process.stdout.write(table(rows) + (differing.length ? `* differs: ${differing.join(', ')}\n` : 'configs are identical\n'));
    return EXIT.done;
  });
}

/** `runs delete ID`: removes a run that is not training. */
export function runsDeleteCommand(runId: string, options: Options): number {
  return guarded(() => {
    const { store, isActive } = open(options.dataDir);
    if (isActive(runId)) throw new ApiError({ code: 'conflict', message: `run ${runId} is training; stop it before deleting it` });
    store.delete(runId);
    if (options.json) process.stdout.write(JSON.stringify({ deleted: runId }) + '\n');
    else process.stdout.write(`deleted ${runId}\n`);
    return EXIT.done;
  });
}
