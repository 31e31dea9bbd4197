import type { RunRecord } from '../../shared/run-record.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import type { SweepStatus, TrialStatus } from '../../shared/sweep.js';
import { describeBackend } from '../../shared/trainer-protocol.js';
import { jsonLine, refuseInput } from './bad-input.js';
import { createCliHost } from './cli-host.js';
import { EXIT } from './exit-codes.js';
import { sweepSpecFromFlags, type SweepFlags } from './sweep-flags.js';
import { SweepProgress } from './sweep-progress.js';
import { doneEvent, planTable, resultsTable, trialEvent } from './sweep-report.js';

export interface SweepOptions extends SweepFlags {
  dataDir: string;
  json: boolean;
}

const ENDED = new Set<TrialStatus>(['done', 'failed', 'cancelled']);

/** `hpc-studio sweep`: a grid or random search, its trials trained one after another in the foreground. */
export async function sweepCommand(options: SweepOptions): Promise<number> {
  const badInput = (errors: readonly { field: string; message: string }[]) => refuseInput(errors, options.json);
  const checked = sweepSpecFromFlags(options);
  if (!checked.ok) return badInput(checked.errors);

  const host = createCliHost(options.dataDir);
  let sweepId: string;
  try {
    sweepId = (await host.service.startSweep({ spec: checked.spec })).sweepId;
  } catch (error) {
    if (error instanceof ApiError && error.error.code === 'invalid') return badInput(error.error.fields ?? [{ field: 'sweep', message: error.message }]);
    throw error;
  }
  const planned = host.sweeps.get(sweepId);
  if (options.json) jsonLine({ type: 'plan', sweepId, metric: planned.metric.key, trials: planned.trials.map((t) => ({ index: t.index, ...t.config })) });
  else process.stdout.write(planTable(planned));

  const progress = new SweepProgress(planned.trials.length);
  const reported = planned.trials.map((t) => t.status);
  const onSweep = (sweep: SweepStatus) => {
    if (sweep.id !== sweepId) return;
    progress.sweep(sweep);
    for (const t of sweep.trials) {
      if (ENDED.has(t.status) && !ENDED.has(reported[t.index]!)) {
        progress.trialEnded(sweep, t.index);
        if (options.json) jsonLine(trialEvent(sweep, t));
      }
      reported[t.index] = t.status;
    }
  };
  let backendShown = false;
  host.service.onEvent((name, payload) => {
    if (name === 'sweeps-changed') onSweep((payload as { sweep: SweepStatus }).sweep);
    else if (name === 'run-record') {
      const { record } = payload as { record: RunRecord };
      progress.record(record);
      if (record.type === 'ready' && !backendShown) {
        backendShown = true;
        progress.log(`backend: ${describeBackend(record.backend)}`);
      }
    }
  });
  onSweep(planned);

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    progress.log('cancelling the sweep: stopping the current run (its checkpoint is kept)… (press Ctrl-C again to abort)');
    void host.service.cancelSweep({ sweepId }).catch(() => {});
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let sweep: SweepStatus;
  try {
    await host.monitor.start();
    sweep = await host.sweeps.settled(sweepId);
  } finally {
    host.monitor.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.stop();
  }

  if (options.json) jsonLine(doneEvent(sweep));
  else process.stdout.write(resultsTable(sweep));
  if (interrupted || sweep.state !== 'done') {
    process.stderr.write(`sweep ${sweepId} ${sweep.state}${sweep.reason ? `: ${sweep.reason}` : ''}\n`);
    return EXIT.interrupted;
  }
  return sweep.best ? EXIT.done : EXIT.failed;
}
