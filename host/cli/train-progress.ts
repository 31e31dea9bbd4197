import { stderrBar } from './stderr-bar.js';
import type { RunRecord } from '../../shared/run-record.js';
import { formatBytes, formatDuration } from '../../shared/run-labels.js';
import { describeBackend } from '../../shared/trainer-protocol.js';

/**
 * Training progress on stderr. On a terminal: one live bar (loading, then training over the
 * whole run, then evaluating). Elsewhere (CI logs, pipes): a plain line at each phase change,
 * each epoch, and every few seconds, so logs stay readable.
 */
export class TrainProgress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly bar = stderrBar('{phase} |{bar}| {percentage}% | {detail}');
  private barShown = false;
  private phase = '';
  private lastLineAt = 0;
  private totalSteps = 1;
  private lastEpochLine = '';

  constructor(
    private readonly epochs: number,
    private readonly now: () => number = Date.now,
    private readonly lineEveryMs = 5000,
  ) {}

  update(record: RunRecord): void {
    switch (record.type) {
      case 'ready': {
        const skipped = record.backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
        this.log(`backend: ${describeBackend(record.backend)}${skipped ? ` (skipped ${skipped})` : ''}`);
        break;
      }
      case 'progress': {
        const { phase, detail } = describeProgress(record);
        this.render(phase, record.done, record.total, detail);
        break;
      }
      case 'peer-dataset':
        this.log(
          record.sentBytes === 0
            ? `peer ${record.peer} (${record.address}) has the dataset already (sha256 ${record.sha256}, ${record.files} files, ${formatBytes(record.bytes)}): nothing sent`
            : `peer ${record.peer} (${record.address}) was sent the dataset (sha256 ${record.sha256}, ${record.files} files, ${formatBytes(record.sentBytes)}), checked there`,
        );
        break;
      case 'started':
        // A run that trains no steps (a quantization run) goes straight on to its measurements.
        if (record.totalSteps === 0) break;
        this.totalSteps = Math.max(1, record.totalSteps);
        this.render('training', record.resumedFromStep ?? 0, this.totalSteps, `${record.dataset.trainSize} examples, ${record.stepsPerEpoch} steps/epoch`);
        break;
      case 'step':
        this.render(
          'training',
          Math.min(record.step, this.totalSteps),
          this.totalSteps,
          `epoch ${record.epoch}/${this.epochs} | step ${record.step}/${this.totalSteps} | loss ${record.loss.toFixed(4)} | ${Math.round(record.samplesPerSec)} samples/s${exchangeShare(record)} | ETA ${formatDuration(record.etaSec)}${this.lastEpochLine}`,
        );
        break;
      case 'epoch':
        this.lastEpochLine = ` | val loss ${record.valLoss.toFixed(4)}${record.valAccuracy === undefined ? '' : ` acc ${record.valAccuracy.toFixed(4)}`}`;
        if (!this.tty) this.log(`epoch ${record.epoch}/${this.epochs}: train loss ${record.trainLoss.toFixed(4)}${this.lastEpochLine}`);
        break;
      case 'early-stop':
        this.log(
          `early stop after epoch ${record.epoch}: the validation loss has not improved by more than min delta for ${record.patience} epoch${record.patience === 1 ? '' : 's'}; best epoch ${record.bestEpoch} (val loss ${record.bestValLoss.toFixed(4)})`,
        );
        break;
      case 'hyperparams':
        this.log(`step ${record.step}: lr ${record.lr}, batch size ${record.batchSize}`);
        break;
      case 'log':
        // Each peer's backend is worth a line: on a mixed cluster they can differ.
        if (record.level !== 'info' || record.message.startsWith('peer ')) this.log(`${record.level === 'info' ? '' : `${record.level}: `}${record.message}`);
        break;
      case 'hint':
        this.log(`hint at step ${record.step}: ${record.message} (${record.evidence})`);
        break;
      case 'ring-route': {
        const relayed = record.links.filter((l) => l.via === 'ssh-relay').length;
        this.log(`ring ${record.generation}: ${relayed} of ${record.links.length} links relayed over SSH via this machine, ${formatBytes(record.relayedBytes)} carried so far`);
        break;
      }
    }
  }

  stop(): void {
    if (this.barShown) this.bar.stop();
    this.barShown = false;
  }

  log(line: string): void {
    this.stop();
    process.stderr.write(line + '\n');
  }

  private render(phase: string, value: number, total: number, detail: string): void {
    const changed = phase !== this.phase;
    this.phase = phase;
    if (this.tty) {
      if (changed) this.stop();
      if (!this.barShown) {
        this.bar.start(total, value, { phase, detail });
        this.barShown = true;
      } else {
        this.bar.setTotal(total);
        this.bar.update(value, { phase, detail });
      }
      return;
    }
    if (changed || value >= total || this.now() - this.lastLineAt >= this.lineEveryMs) {
      this.lastLineAt = this.now();
      process.stderr.write(`${phase} ${Math.round((100 * value) / Math.max(1, total))}% | ${detail}\n`);
    }
  }
}

/** A preparation phase's name and how far it is, in its own units (bytes for a dataset being sent). */
export function describeProgress(record: Extract<RunRecord, { type: 'progress' }>): { phase: string; detail: string } {
  if (record.phase === 'upload-data') return { phase: 'sending dataset', detail: `${formatBytes(record.done)}/${formatBytes(record.total)} to peers' nodes` };
  if (record.phase === 'time-inference') return { phase: 'timing inference', detail: `pass ${record.done}/${record.total}, the models in turn` };
  return { phase: record.phase === 'load-data' ? 'loading data' : 'evaluating', detail: `${record.done}/${record.total}` };
}

/** ` | 23 % exchanging` for a data-parallel peer: the share of its step spent exchanging gradients. */
function exchangeShare(step: Extract<RunRecord, { type: 'step' }>): string {
  const e = step.exchange;
  if (!e) return '';
  return ` | ${Math.round((100 * e.commMs) / Math.max(1e-9, e.commMs + e.computeMs))} % exchanging`;
}
