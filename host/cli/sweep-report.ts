import type { RunConfig } from '../../shared/run-config.js';
import { formatMetric, METRIC_LABEL, rankTrials, type SweepStatus, type SweepTrial } from '../../shared/sweep.js';
import { table } from './text-table.js';

/** The hyperparameters a sweep varies, as one short line. */
export function trialLabel(c: RunConfig): string {
  return `lr ${c.lr} · batch ${c.batchSize} · ${c.optimizer} · seed ${c.seed}`;
}

/** The plan, before anything trains: one row per trial. */
export function planTable(sweep: SweepStatus): string {
  const spec = sweep.spec;
  const how = spec.mode === 'grid' ? 'grid' : `random search (sampler seed ${spec.seed})`;
  const head = `sweep ${sweep.id}: ${sweep.trials.length} trials, ${how}, ranked by ${METRIC_LABEL[sweep.metric.key]}\n`;
  const rows = sweep.trials.map((t) => [String(t.index + 1), String(t.config.lr), String(t.config.batchSize), t.config.optimizer, String(t.config.seed)]);
  return head + table([['TRIAL', 'LR', 'BATCH', 'OPTIMIZER', 'SEED'], ...rows]);
}

/** Every trial, best first. */
export function resultsTable(sweep: SweepStatus): string {
  const rows = rankTrials(sweep.trials, sweep.metric).map((t, i) => [
    t.metric === undefined ? '-' : String(i + 1),
    String(t.index + 1),
    String(t.config.lr),
    String(t.config.batchSize),
    t.config.optimizer,
    String(t.config.seed),
    t.status,
    formatMetric(sweep.metric, t.metric),
    t.runId ?? '-',
  ]);
  const metric = METRIC_LABEL[sweep.metric.key].toUpperCase();
  let out = table([['RANK', 'TRIAL', 'LR', 'BATCH', 'OPTIMIZER', 'SEED', 'STATUS', metric, 'RUN'], ...rows]);
  for (const t of sweep.trials) if (t.status === 'failed') out += `  trial ${t.index + 1}: ${t.reason ?? 'failed'}\n`;
  const best = sweep.best;
  out += best
    ? `best: trial ${best.index + 1} (run ${best.runId}), ${METRIC_LABEL[sweep.metric.key]} ${formatMetric(sweep.metric, best.metric)}: ${trialLabel(sweep.trials[best.index]!.config)}\n`
    : 'no trial finished\n';
  return out;
}

/** One `trial` JSON Lines object. */
export function trialEvent(sweep: SweepStatus, t: SweepTrial): object {
  const { lr, batchSize, optimizer, seed } = t.config;
  return {
    type: 'trial',
    sweepId: sweep.id,
    index: t.index,
    status: t.status,
    runId: t.runId ?? null,
    lr,
    batchSize,
    optimizer,
    seed,
    testLoss: t.testLoss ?? null,
    testAccuracy: t.testAccuracy ?? null,
    metric: t.metric ?? null,
    ...(t.reason && t.status !== 'done' ? { reason: t.reason } : {}),
  };
}

/** The final `done` JSON Lines object. */
export function doneEvent(sweep: SweepStatus): object {
  const best = sweep.best ? { ...sweep.best, ...pick(sweep.trials[sweep.best.index]!.config) } : null;
  const count = (s: SweepTrial['status']) => sweep.trials.filter((t) => t.status === s).length;
  return {
    type: 'done',
    sweepId: sweep.id,
    state: sweep.state,
    metric: sweep.metric.key,
    trials: sweep.trials.length,
    done: count('done'),
    failed: count('failed'),
    cancelled: count('cancelled'),
    best,
  };
}

function pick({ lr, batchSize, optimizer, seed }: RunConfig) {
  return { lr, batchSize, optimizer, seed };
}
