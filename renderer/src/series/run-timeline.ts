import { putVariant, type CompressedVariant } from '../../../shared/compression-variant.js';
import { formatDuration } from '../../../shared/run-labels.js';
import type { RunRecord, RunStatus } from '../../../shared/run-record.js';
import type { BackendChoice, DatasetInfo, TrainerEventOf } from '../../../shared/trainer-protocol.js';

type RunRecordOf<T extends RunRecord['type']> = Extract<RunRecord, { type: T }>;

export interface Marker {
  step: number;
  time: number;
  label: string;
  kind: 'hyperparams' | 'pause' | 'resume' | 'restart' | 'hint' | 'early-stop' | 'peer-lost' | 'peer-joined';
}

export interface Progress {
  phase: TrainerEventOf<'progress'>['phase'];
  done: number;
  total: number;
}

/** What the run is doing before (or after) its training steps, as the run page names it. */
export const PHASE_LABELS: Record<Progress['phase'], string> = {
  'upload-data': "sending the dataset to peers' nodes",
  'load-data': 'loading data',
  evaluate: 'evaluating test set',
  'time-inference': 'timing inference, model by model in turn',
};

/**
 * A run's state and the events marked on its curves, folded from its log records in order: the
 * same code rebuilds a past run from its history and follows a live run record by record. The
 * curves themselves are read from the host in windows (charts/series-window-loader.ts).
 */
export class RunTimeline {
  readonly markers: Marker[] = [];
  readonly hints: RunRecordOf<'hint'>[] = [];
  status: RunStatus | null = null;
  reason: string | undefined;
  stderrTail: string[] = [];
  exitCode: number | null = null;
  signal: string | null = null;
  /** The trainer's own complaint (bad input, e.g. a CSV column), naming the field when it can. */
  trainerError: TrainerEventOf<'error'> | null = null;
  backend: BackendChoice | null = null;
  dataset: DatasetInfo | null = null;
  totalSteps = 0;
  stepsPerEpoch = 0;
  last: TrainerEventOf<'step'> | null = null;
  progress: Progress | null = null;
  done: TrainerEventOf<'done'> | null = null;
  /** The live run's latest tensor reading; a stored run's is in its summary. */
  memory: TrainerEventOf<'memory'> | null = null;
  /** How the data-parallel ring's links travel, once any went over the app's SSH relay. */
  ringRoute: TrainerEventOf<'ring-route'> | null = null;
  /** A distilled run's temperature and alpha, once a change applied (before that, its config's). */
  distillation: { temperature: number; alpha: number } | null = null;
  /** A compression run's models so far, the fp32 original first. */
  readonly variants: CompressedVariant[] = [];

  constructor(readonly runId: string) {}

  apply(record: RunRecord): void {
    switch (record.type) {
      case 'ready':
        this.backend = record.backend;
        break;
      case 'progress':
        this.progress = record.done >= record.total && (record.phase === 'evaluate' || record.phase === 'time-inference') ? null : record;
        break;
      case 'started':
        this.dataset = record.dataset;
        this.totalSteps = record.totalSteps;
        this.stepsPerEpoch = record.stepsPerEpoch;
        this.progress = null;
        break;
      case 'step':
        this.last = record;
        if (record.step > this.totalSteps) this.totalSteps = record.step;
        break;
      case 'hyperparams': {
        const prev = this.last;
        const parts = [];
        if (!prev || prev.lr !== record.lr) parts.push(`lr→${formatNumber(record.lr)}`);
        if (!prev || prev.batchSize !== record.batchSize) parts.push(`bs→${record.batchSize}`);
        if (record.temperature !== undefined && record.temperature !== this.distillation?.temperature) parts.push(`T→${record.temperature}`);
        if (record.alpha !== undefined && record.alpha !== this.distillation?.alpha) parts.push(`α→${record.alpha}`);
        if (record.temperature !== undefined && record.alpha !== undefined) this.distillation = { temperature: record.temperature, alpha: record.alpha };
        this.markers.push({ step: record.step, time: record.time, label: parts.join(' ') || `lr→${formatNumber(record.lr)}`, kind: 'hyperparams' });
        break;
      }
      case 'error':
        this.trainerError = record;
        break;
      case 'memory':
        this.memory = { ...record, peakStepBytes: Math.max(record.peakStepBytes, this.memory?.peakStepBytes ?? 0) };
        break;
      case 'paused':
        this.markers.push({ step: record.step, time: record.time, label: 'paused', kind: 'pause' });
        break;
      case 'resumed': {
        // A pause and its resume at the same step would draw one label over the other: one marker says both.
        const pause = this.markers.at(-1);
        if (pause?.kind === 'pause' && pause.step === record.step) {
          pause.label = `paused ${formatDuration((record.time - pause.time) / 1000)}`;
          break;
        }
        this.markers.push({ step: record.step, time: record.time, label: 'resumed', kind: 'resume' });
        break;
      }
      case 'resume':
        this.truncateAfter(record.fromStep);
        this.markers.push({ step: record.fromStep, time: record.time, label: 'restarted', kind: 'restart' });
        this.done = null;
        this.trainerError = null;
        break;
      case 'done':
        this.done = record;
        this.progress = null;
        break;
      case 'early-stop':
        this.markers.push({ step: record.step, time: record.time, label: `early stop (best: epoch ${record.bestEpoch})`, kind: 'early-stop' });
        break;
      case 'peer-lost':
        this.markers.push({ step: record.step, time: record.time, label: `peer ${record.peer} lost (${record.peersLeft} left)`, kind: 'peer-lost' });
        break;
      case 'peer-joined':
        this.markers.push({ step: record.step, time: record.time, label: `peer ${record.peer} joined (${record.peers} now)`, kind: 'peer-joined' });
        break;
      case 'ring-route':
        this.ringRoute = record;
        break;
      case 'variant':
        putVariant(this.variants, record.variant);
        break;
      case 'hint':
        this.hints.push(record);
        this.markers.push({ step: record.step, time: record.time, label: record.kind, kind: 'hint' });
        break;
      case 'status':
        this.status = record.status;
        this.reason = record.reason;
        this.stderrTail = record.stderrTail ?? [];
        this.exitCode = record.exitCode ?? null;
        this.signal = record.signal ?? null;
        if (record.status !== 'running') this.progress = null;
        break;
    }
  }

  /** Records after a checkpoint's step are superseded when the run continues from it. */
  private truncateAfter(step: number): void {
    while (this.markers.length > 0 && this.markers[this.markers.length - 1]!.step > step) this.markers.pop();
    if (this.last && this.last.step > step) this.last = null;
  }
}

export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 0.001 && abs < 10000) return String(+value.toPrecision(4));
  return value.toExponential(1).replace('.0e', 'e');
}
