import { mkdirSync, openSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_LOG_FORMAT, RUN_LOG_VERSION, type RunRecord } from '../shared/run-record.js';
import type { RunConfig } from '../shared/run-config.js';

export interface LongRun {
  runId: string;
  steps: number;
  spikeStep: number;
  spikeLoss: number;
  /** The highest loss apart from the spike. */
  ordinaryMaxLoss: number;
}

const CONFIG: RunConfig = {
  dataset: { kind: 'fashion-mnist', dir: '/usr/share/datasets/fashion-mnist' },
  model: 'mlp', epochs: 10, batchSize: 32, lr: 0.001, optimizer: 'adam', seed: 1,
};

/**
 * Writes a finished run of `steps` training steps into `<dataDir>/runs/<id>/`, as the host would:
 * a noisy decaying loss with one spike at `spikeStep`, ten epochs with validation records.
 */
export function writeLongRun(dataDir: string, steps: number, spikeStep = Math.floor(steps * 0.613)): LongRun {
  const runId = 'run-20261124-120000-beef';
  const dir = join(dataDir, 'runs', runId);
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  const fd = openSync(join(dir, 'run.log.jsonl'), 'w');
  const t0 = Date.UTC(2026, 10, 24, 12);
  const lines: string[] = [];
  const flush = () => {
    writeSync(fd, lines.join(''));
    lines.length = 0;
  };
  const put = (value: unknown) => {
    lines.push(JSON.stringify(value) + '\n');
    if (lines.length >= 20_000) flush();
  };
  put({ format: RUN_LOG_FORMAT, version: RUN_LOG_VERSION, runId, createdAt: t0, config: CONFIG });
  put({ type: 'status', time: t0, status: 'running' } satisfies RunRecord);
  put({ type: 'started', time: t0 + 5, dataset: { task: 'classification', trainSize: 55_000, validationSize: 5000, testSize: 10_000, inputShape: [28, 28, 1], classes: 10 }, totalSteps: steps, stepsPerEpoch: Math.ceil(steps / 10), elapsedMs: 0 } satisfies RunRecord);
  const perEpoch = Math.ceil(steps / 10);
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5);
  let ordinaryMaxLoss = 0;
  const spikeLoss = 9.5;
  for (let step = 1; step <= steps; step++) {
    const base = 0.3 + 2 * Math.exp(-step / (steps / 8));
    const loss = step === spikeStep ? spikeLoss : base * (1 + 0.3 * noise());
    if (step !== spikeStep) ordinaryMaxLoss = Math.max(ordinaryMaxLoss, loss);
    const epoch = Math.ceil(step / perEpoch);
    put({
      type: 'step', time: t0 + 10 + step * 2, step, epoch, epochProgress: (step - (epoch - 1) * perEpoch) / perEpoch,
      loss, accuracy: Math.min(1, 0.9 - base / 4 + 0.05 * noise()), lr: 0.001, batchSize: 32, samplesPerSec: 16000, samplesSeen: step * 32, etaSec: (steps - step) / 500,
    } satisfies RunRecord);
    if (step % perEpoch === 0 || step === steps) {
      put({ type: 'epoch', time: t0 + 11 + step * 2, step, epoch, trainLoss: base, trainAccuracy: 0.85, valLoss: base * 1.05, valAccuracy: 0.84 } satisfies RunRecord);
    }
  }
  put({ type: 'done', time: t0 + 20 + steps * 2, step: steps, testLoss: 0.35, testAccuracy: 0.87 } satisfies RunRecord);
  put({ type: 'status', time: t0 + 21 + steps * 2, status: 'done' } satisfies RunRecord);
  flush();
  closeSync(fd);
  return { runId, steps, spikeStep, spikeLoss, ordinaryMaxLoss };
}
