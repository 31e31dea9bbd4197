import cliProgress from 'cli-progress';
import type { RunRecord } from '../../shared/run-record.js';
import { formatDuration } from './duration-format.js';

/**
 * The training progress bar on stderr: loading, then per-step progress over the whole run
 * with epoch, loss, throughput and ETA. On a non-terminal stderr it prints a line every few seconds.
 */
export class TrainProgress {
  private readonly bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{phase} |{bar}| {percentage}% | {detail}',
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  private started = false;
  private totalSteps = 1;
  private epochs = 1;
  private lastEpochLine = '';

  constructor(epochs: number) {
    this.epochs = epochs;
  }

  update(record: RunRecord): void {
    switch (record.type) {
      case 'ready':
        this.log(`backend: ${record.backend.name}${record.backend.skipped.length ? ` (skipped ${record.backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''}`);
        break;
      case 'progress':
        this.show(record.total, record.done, { phase: record.phase === 'load-data' ? 'loading data' : 'evaluating', detail: `${record.done}/${record.total}` });
        break;
      case 'started':
        this.totalSteps = Math.max(1, record.totalSteps);
        this.show(this.totalSteps, 0, { phase: 'training', detail: `${record.dataset.trainSize} examples, ${record.stepsPerEpoch} steps/epoch` });
        break;
      case 'step':
        this.show(this.totalSteps, Math.min(record.step, this.totalSteps), {
          phase: 'training',
          detail: `epoch ${record.epoch}/${this.epochs} | step ${record.step}/${this.totalSteps} | loss ${record.loss.toFixed(4)} | ${Math.round(record.samplesPerSec)} samples/s | ETA ${formatDuration(record.etaSec)}${this.lastEpochLine}`,
        });
        break;
      case 'epoch':
        this.lastEpochLine = ` | val loss ${record.valLoss.toFixed(4)}${record.valAccuracy === undefined ? '' : ` acc ${record.valAccuracy.toFixed(4)}`}`;
        break;
      case 'hyperparams':
        this.log(`step ${record.step}: lr ${record.lr}, batch size ${record.batchSize}`);
        break;
      case 'log':
        if (record.level !== 'info') this.log(`${record.level}: ${record.message}`);
        break;
    }
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }

  log(line: string): void {
    if (this.started && process.stderr.isTTY) {
      this.bar.stop();
      this.started = false;
    }
    process.stderr.write(line + '\n');
  }

  private show(total: number, value: number, payload: { phase: string; detail: string }): void {
    if (!this.started) {
      this.bar.start(total, value, payload);
      this.started = true;
    } else {
      this.bar.setTotal(total);
      this.bar.update(value, payload);
    }
  }
}
