import cliProgress from 'cli-progress';
import { stderrBarOptions } from './stderr-bar.js';
import type { RunRecord } from '../../shared/run-record.js';
import { formatMetric, type SweepStatus } from '../../shared/sweep.js';
import { formatDuration } from '../../shared/run-labels.js';
import { trialLabel } from './sweep-report.js';
import { describeProgress } from './train-progress.js';

/**
 * A sweep's progress on stderr. On a terminal: two live bars, the sweep (trial i/N) and the
 * current trial's training. Elsewhere: a line as each trial starts and ends, and the current
 * trial's progress every few seconds.
 */
export class SweepProgress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly bars = new cliProgress.MultiBar(stderrBarOptions('{label} |{bar}| {detail}'), cliProgress.Presets.shades_classic);
  private overall: cliProgress.SingleBar | null = null;
  private trial: cliProgress.SingleBar | null = null;
  private totalSteps = 1;
  private shownIndex = -1;
  private lastLineAt = 0;

  constructor(
    private readonly total: number,
    private readonly now: () => number = Date.now,
    private readonly lineEveryMs = 5000,
  ) {}

  sweep(sweep: SweepStatus): void {
    const ended = sweep.trials.filter((t) => t.status === 'done' || t.status === 'failed' || t.status === 'cancelled').length;
    const failed = sweep.trials.filter((t) => t.status === 'failed').length;
    const best = sweep.best ? ` | best ${formatMetric(sweep.metric, sweep.best.metric)} (trial ${sweep.best.index + 1})` : '';
    const running = sweep.trials.find((t) => t.status === 'running');
    const detail = `trial ${Math.min(ended + (running ? 1 : 0), this.total)}/${this.total} | ${ended} ended${failed ? `, ${failed} failed` : ''}${best}`;
    if (running && running.index !== this.shownIndex) {
      this.shownIndex = running.index;
      this.totalSteps = 1;
      if (!this.tty) process.stderr.write(`trial ${running.index + 1}/${this.total} starting: ${trialLabel(running.config)}\n`);
      this.trial?.update(0, { label: `trial ${running.index + 1}`.padEnd(9), detail: trialLabel(running.config) });
    }
    if (!this.tty) return;
    if (!this.overall) {
      this.overall = this.bars.create(this.total, ended, { label: 'sweep'.padEnd(9), detail });
      this.trial = this.bars.create(1, 0, { label: 'trial'.padEnd(9), detail: 'waiting' });
    } else this.overall.update(ended, { detail });
  }

  /** A trial ended: one line for logs (the bars show it on a terminal). */
  trialEnded(sweep: SweepStatus, index: number): void {
    if (this.tty) return;
    const t = sweep.trials[index]!;
    const result = t.status === 'done' ? formatMetric(sweep.metric, t.metric) : `${t.status}${t.reason ? `: ${t.reason}` : ''}`;
    process.stderr.write(`trial ${index + 1}/${this.total} ${t.status === 'done' ? 'done' : 'ended'}: ${result}\n`);
  }

  record(record: RunRecord): void {
    let value: number;
    let detail: string;
    switch (record.type) {
      case 'started':
        this.totalSteps = Math.max(1, record.totalSteps);
        value = record.resumedFromStep ?? 0;
        detail = `training, ${record.dataset.trainSize} examples`;
        break;
      case 'step':
        value = Math.min(record.step, this.totalSteps);
        detail = `epoch ${record.epoch} | step ${record.step}/${this.totalSteps} | loss ${record.loss.toFixed(4)} | ETA ${formatDuration(record.etaSec)}`;
        break;
      case 'progress':
        value = record.phase === 'evaluate' ? this.totalSteps : 0;
        detail = Object.values(describeProgress(record)).join(' ');
        break;
      default:
        return;
    }
    if (this.tty) {
      this.trial?.setTotal(this.totalSteps);
      this.trial?.update(value, { detail });
    } else if (this.now() - this.lastLineAt >= this.lineEveryMs) {
      this.lastLineAt = this.now();
      process.stderr.write(`  trial ${this.shownIndex + 1}: ${Math.round((100 * value) / this.totalSteps)}% | ${detail}\n`);
    }
  }

  log(line: string): void {
    if (this.tty && this.overall) this.bars.log(line + '\n');
    else process.stderr.write(line + '\n');
  }

  stop(): void {
    if (this.overall) this.bars.stop();
    this.overall = null;
    this.trial = null;
  }
}
