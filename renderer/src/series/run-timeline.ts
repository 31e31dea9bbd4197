import { formatDuration } from '../../../shared/run-labels.js';
import type { RunRecord, RunStatus } from '../../../shared/run-record.js';

type RunRecordOf<T extends RunRecord['type']> = Extract<RunRecord, { type: T }>;
import type { BackendChoice, DatasetInfo, TrainerEventOf } from '../../../shared/trainer-protocol.js';

/** A value at a step, and the wall time it was recorded, so charts can align by either. */
export type Point = [step: number, value: number, time: number];

export interface Marker {
  step: number;
  time: number;
  label: string;
  kind: 'hyperparams' | 'pause' | 'resume' | 'restart' | 'hint';
}

export interface Progress {
  phase: 'load-data' | 'evaluate';
  done: number;
  total: number;
}

/**
 * A run's curves and state, folded from its log records in order: the same code rebuilds a past
 * run from its history and follows a live run record by record.
 */
export class RunTimeline {
  readonly trainLoss: Point[] = [];
  readonly trainAccuracy: Point[] = [];
  readonly valLoss: Point[] = [];
  readonly valAccuracy: Point[] = [];
  readonly markers: Marker[] = [];
  /** Hardware during the run, by step: CPU and trainer CPU (%), GPU utilisation and memory (%, first GPU). */
  readonly cpu: Point[] = [];
  readonly trainerCpu: Point[] = [];
  readonly gpuUtil: Point[] = [];
  readonly gpuMemory: Point[] = [];
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
  /** When the run's first record was written: the origin of the time axis. */
  startTime: number | null = null;

  constructor(readonly runId: string) {}

  apply(record: RunRecord): void {
    if (this.startTime === null && 'time' in record) this.startTime = record.time;
    switch (record.type) {
      case 'ready':
        this.backend = record.backend;
        break;
      case 'progress':
        this.progress = record.done >= record.total && record.phase === 'evaluate' ? null : record;
        break;
      case 'started':
        this.dataset = record.dataset;
        this.totalSteps = record.totalSteps;
        this.stepsPerEpoch = record.stepsPerEpoch;
        this.progress = null;
        break;
      case 'step':
        this.trainLoss.push([record.step, record.loss, record.time]);
        if (record.accuracy !== undefined) this.trainAccuracy.push([record.step, record.accuracy, record.time]);
        this.last = record;
        if (record.step > this.totalSteps) this.totalSteps = record.step;
        break;
      case 'epoch':
        this.valLoss.push([record.step, record.valLoss, record.time]);
        if (record.valAccuracy !== undefined) this.valAccuracy.push([record.step, record.valAccuracy, record.time]);
        break;
      case 'hyperparams': {
        const prev = this.last;
        const parts = [];
        if (!prev || prev.lr !== record.lr) parts.push(`lr→${formatNumber(record.lr)}`);
        if (!prev || prev.batchSize !== record.batchSize) parts.push(`bs→${record.batchSize}`);
        this.markers.push({ step: record.step, time: record.time, label: parts.join(' ') || `lr→${formatNumber(record.lr)}`, kind: 'hyperparams' });
        break;
      }
      case 'error':
        this.trainerError = record;
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
      case 'hardware': {
        if (record.cpuPercent !== null) this.cpu.push([record.step, record.cpuPercent, record.time]);
        if (record.trainerCpuPercent !== null) this.trainerCpu.push([record.step, record.trainerCpuPercent, record.time]);
        const gpu = record.gpus[0];
        if (gpu?.utilizationPercent != null) this.gpuUtil.push([record.step, gpu.utilizationPercent, record.time]);
        if (gpu?.memoryUsedMiB != null && gpu.memoryTotalMiB) this.gpuMemory.push([record.step, (100 * gpu.memoryUsedMiB) / gpu.memoryTotalMiB, record.time]);
        break;
      }
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
    for (const series of [this.trainLoss, this.trainAccuracy, this.valLoss, this.valAccuracy, this.cpu, this.trainerCpu, this.gpuUtil, this.gpuMemory]) {
      while (series.length > 0 && series[series.length - 1]![0] > step) series.pop();
    }
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
