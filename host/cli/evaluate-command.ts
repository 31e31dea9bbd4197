import type { ClassificationEvaluation, RegressionEvaluation, RunEvaluation } from '../../shared/evaluation.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { createCliHost } from './cli-host.js';
import { EXIT } from './exit-codes.js';
import { TrainProgress } from './train-progress.js';

interface Options {
  dataDir: string;
  json: boolean;
}

/** `runs evaluate ID`: the run's test-set evaluation (cached, or computed now with a progress bar on stderr). */
export async function evaluateCommand(runId: string, options: Options): Promise<number> {
  const host = createCliHost(options.dataDir);
  const progress = new TrainProgress(1);
  host.service.onEvent((name, payload) => {
    if (name === 'evaluation-progress') {
      const p = payload as { phase: 'load-data' | 'evaluate'; done: number; total: number };
      progress.update({ type: 'progress', time: Date.now(), phase: p.phase, done: p.done, total: p.total });
    }
  });
  let result: RunEvaluation;
  try {
    result = (await host.service.getEvaluation({ runId }))!;
  } catch (error) {
    progress.stop();
    const message = error instanceof Error ? error.message : String(error);
    if (options.json) process.stdout.write(JSON.stringify({ type: 'error', runId, message }) + '\n');
    process.stderr.write(`error: ${message}\n`);
    return error instanceof ApiError && error.error.code !== 'internal' ? EXIT.badInput : EXIT.failed;
  }
  progress.stop();
  if (options.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return EXIT.done;
  }
  const { source, evaluation } = result;
  process.stdout.write(
    `run ${runId} on ${evaluation.testSize} test examples, from its ${source.checkpoint} checkpoint (epoch ${source.epoch}, step ${source.step})\n`,
  );
  process.stdout.write(evaluation.task === 'classification' ? classificationReport(evaluation) : regressionReport(evaluation));
  return EXIT.done;
}

function table(rows: string[][], rightAligned: (column: number) => boolean): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (rightAligned(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

function classificationReport(e: ClassificationEvaluation): string {
  const label = (c: number) => `${c} ${e.classNames[c]}`;
  const matrix = table(
    [['true \\ predicted', ...e.classNames.map((_, c) => String(c))], ...e.confusion.map((row, t) => [label(t), ...row.map(String)])],
    (i) => i > 0,
  );
  const perClass = table(
    [
      ['class', 'precision', 'recall', 'F1', 'support'],
      ...e.perClass.map((c, i) => [label(i), c.precision.toFixed(4), c.recall.toFixed(4), c.f1.toFixed(4), String(c.support)]),
    ],
    (i) => i > 0,
  );
  return [
    `accuracy ${e.accuracy.toFixed(4)} (${(e.accuracy * 100).toFixed(2)} %)  macro F1 ${e.macroF1.toFixed(4)}  misclassified ${e.misclassifiedTotal}`,
    '',
    'confusion matrix (rows: true class, columns: predicted class)',
    matrix,
    perClass,
  ].join('\n');
}

function regressionReport(e: RegressionEvaluation): string {
  return table(
    [
      ['target', e.target],
      ['MAE', e.mae.toPrecision(6)],
      ['RMSE', e.rmse.toPrecision(6)],
      ['R²', e.r2.toFixed(6)],
      ['mean residual (predicted − actual)', e.meanResidual.toPrecision(6)],
      ['max |residual|', e.maxAbsResidual.toPrecision(6)],
    ],
    () => false,
  );
}
