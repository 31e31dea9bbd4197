import type { RunConfig } from '../../shared/run-config.js';
import type { RunRecord } from '../../shared/run-record.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import type { PeerConnector } from '../distributed/peer-group-process.js';
import { packageVersion } from '../package-root.js';
import { BadInput, refuseInput } from './bad-input.js';
import { createCliHost } from './cli-host.js';
import type { StudioHost } from '../studio-host.js';
import { cliPeerConnector } from './cli-peer-connector.js';
import { configFromFlags, type TrainFlags } from './config-from-flags.js';
import { EXIT } from './exit-codes.js';
import { formatBytes, formatDuration } from '../../shared/run-labels.js';
import { dataShapeOf, estimateMemory } from '../../shared/memory-estimate.js';
import { describeModel } from '../../shared/model-spec.js';
import type { DatasetInfo } from '../../shared/trainer-protocol.js';
import { TrainProgress } from './train-progress.js';

/** Host bookkeeping, and input errors, which are reported once, below, with their field. */
const HOST_ONLY = new Set<RunRecord['type']>(['status', 'hyperparams-requested', 'resume', 'error', 'hardware', 'hint']);

export interface TrainOptions extends TrainFlags {
  dataDir: string;
  json: boolean;
  /** The agents' tokens for `ws://` peers. */
  tokenFile?: string;
  identity?: string;
  knownHosts?: string;
  acceptNewHost?: boolean;
}

/** `hpc-studio train`: one run in the foreground; stdout is JSON Lines with --json, a summary otherwise. */
export async function trainCommand(options: TrainOptions): Promise<number> {
  const refuse = (errors: readonly { field: string; message: string }[]) => refuseInput(errors, options.json);
  const checked = configFromFlags(options);
  if (!checked.ok) return refuse(checked.errors);
  const config = checked.config;
  let connectPeer: PeerConnector | undefined;
  if (config.distribution?.peers.some((p) => p.startsWith('ws://')) && !options.tokenFile) {
    return refuse([{ field: 'tokenFile', message: '--token-file: ws:// peers need their agents\' tokens (`hpc-studio agent --print-token` on each node)' }]);
  }
  try {
    if (config.distribution) connectPeer = cliPeerConnector(options, packageVersion());
  } catch (error) {
    if (error instanceof BadInput) return refuse([error]);
    throw error;
  }
  const host = createCliHost(options.dataDir, connectPeer);
  return trainInForeground(host, config, { json: options.json, start: () => host.service.startRun({ config }) });
}

export interface ForegroundOptions {
  json: boolean;
  /** Starts the run (or resumes it) in `host`'s supervisor. */
  start: () => Promise<{ runId: string }>;
  /** Told the run's id as soon as its first record is written. */
  onRunId?: (runId: string) => void;
  /**
   * What a finished run adds to its report: fields for the `done` line (held back with --json
   * until the run has ended, so it is the last line) and lines printed after the summary.
   */
  report?: (runId: string, done: RunRecord & { type: 'done' }, dataset: DatasetInfo | undefined) => { fields: object; lines: string[] };
}

/** One run of `host` to its end, with the progress bar on stderr; SIGINT/SIGTERM stop it with a checkpoint. */
export async function trainInForeground(host: StudioHost, config: RunConfig, options: ForegroundOptions): Promise<number> {
  const out = (value: object) => process.stdout.write(JSON.stringify(value) + '\n');
  const progress = new TrainProgress(config.epochs);
  let runId: string | undefined;
  let last: { status?: RunRecord & { type: 'status' }; done?: RunRecord & { type: 'done' }; backend?: string; dataset?: DatasetInfo; peakStepBytes?: number } = {};
  const startedAt = Date.now();

  host.service.onEvent((name, payload) => {
    if (name !== 'run-record') return;
    const { runId: id, record } = payload as { runId: string; record: RunRecord };
    if (runId === undefined) {
      runId = id;
      options.onRunId?.(id);
    }
    progress.update(record);
    if (record.type === 'status') last.status = record;
    else if (record.type === 'done') last.done = record;
    else if (record.type === 'ready') last.backend = record.backend.name;
    else if (record.type === 'started') last.dataset = record.dataset;
    else if (record.type === 'memory') last.peakStepBytes = Math.max(last.peakStepBytes ?? 0, record.peakStepBytes);
    if (options.json && !HOST_ONLY.has(record.type) && !(record.type === 'done' && options.report)) {
      out({ ...record, runId: id });
    }
  });

  let interrupted = false;
  // A second Ctrl-C gives up on the checkpoint; SIGTERM never does: schedulers send it more than once.
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted && signal === 'SIGINT') process.exit(EXIT.interrupted);
    if (interrupted) return;
    interrupted = true;
    progress.log(`stopping: writing a checkpoint…${signal === 'SIGINT' ? ' (press Ctrl-C again to abort)' : ''}`);
    if (runId) void host.supervisor.stop(runId).catch(() => {});
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await host.monitor.start();
    runId = (await options.start()).runId;
    await host.supervisor.idle();
  } catch (error) {
    progress.stop();
    return reportStartFailure(error, options.json, out);
  } finally {
    host.monitor.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  progress.stop();

  const status = last.status;
  if (status?.status === 'done' && last.done) {
    const report = options.report?.(runId, last.done, last.dataset);
    if (options.json && report) out({ ...last.done, runId, ...report.fields });
    if (!options.json) printSummary(runId, config, last.done, last.backend, (Date.now() - startedAt) / 1000, memoryLine(config, last), report?.lines);
    return EXIT.done;
  }
  if (status?.status === 'stopped') {
    process.stderr.write(`run ${runId} stopped; resume it from the app (its checkpoint is kept)\n`);
    return EXIT.interrupted;
  }
  const reason = status?.reason ?? 'the trainer ended without a result';
  if (options.json) out({ type: 'error', runId, message: reason, exitCode: status?.exitCode ?? null, signal: status?.signal ?? null });
  process.stderr.write(`run ${runId} failed: ${reason}\n`);
  for (const line of status?.stderrTail ?? []) process.stderr.write(`  | ${line}\n`);
  return EXIT.failed;
}

function reportStartFailure(error: unknown, json: boolean, out: (v: object) => void): number {
  if (error instanceof ApiError && (error.error.code === 'invalid' || error.error.code === 'conflict')) {
    return refuseInput(error.error.fields ?? [{ field: 'run', message: error.message }], json);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) out({ type: 'error', message });
  process.stderr.write(`error: ${message}\n`);
  return EXIT.failed;
}

function printSummary(
  runId: string,
  config: RunConfig,
  done: RunRecord & { type: 'done' },
  backend: string | undefined,
  seconds: number,
  memory: string | null,
  extra: readonly string[] = [],
): void {
  const lines = [`run ${runId} done in ${formatDuration(seconds)} (${describeModel(config)}, ${backend ?? 'unknown backend'})`];
  if (done.testAccuracy !== undefined) {
    lines.push(`test loss ${done.testLoss.toFixed(4)}  test accuracy ${done.testAccuracy.toFixed(4)} (${(done.testAccuracy * 100).toFixed(2)} %)`);
  } else {
    lines.push(`test loss (MSE) ${done.testLoss.toFixed(6)}`);
  }
  if (done.weights) {
    const width = Math.max(...Object.keys(done.weights).map((k) => k.length));
    for (const [name, w] of Object.entries(done.weights)) lines.push(`  ${name.padEnd(width)}  ${w.toFixed(4)}`);
  }
  if (memory) lines.push(memory);
  lines.push(...extra);
  process.stdout.write(lines.join('\n') + '\n');
}

/** The step's measured tensor peak beside the estimate made from the config before the run. */
function memoryLine(config: RunConfig, seen: { dataset?: DatasetInfo; peakStepBytes?: number }): string | null {
  if (!seen.dataset || seen.peakStepBytes === undefined) return null;
  const estimate = estimateMemory(config, dataShapeOf(seen.dataset));
  return `tensor memory: step peak ${formatBytes(seen.peakStepBytes)} (estimated ${formatBytes(estimate.trainingBytes)}; dataset ${formatBytes(estimate.datasetBytes)})`;
}
