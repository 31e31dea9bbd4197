import type { RunRecord } from '../../shared/run-record.js';
import { MAX_PEERS } from '../../shared/distributed.js';
import { peerBusyMetric, peerThroughputMetric, type SeriesAxis, type SeriesLine, type SeriesMetric, type SeriesWindow, type SeriesWindowQuery } from '../../shared/series-window.js';
import { debiasedEma } from './debiased-ema.js';
import { GrowableColumn } from './growable-column.js';
import { m4Downsample } from './m4-downsample.js';

const RECORD_GROUPS = {
  train: ['loss', 'accuracy', 'lr', 'batchSize'],
  val: ['valLoss', 'valAccuracy'],
  hardware: ['cpu', 'trainerCpu', 'gpuUtil', 'gpuMemory'],
  memory: ['tensors', 'tensorBytes'],
  exchange: ['computeMs', 'commMs', 'overlapMs'],
} as const satisfies Record<string, readonly SeriesMetric[]>;
/** One group per peer rank, as peers report on their own clocks. */
type PeerGroupName = `peer${number}`;
const peerGroup = (rank: number): PeerGroupName => `peer${rank}`;
const GROUP_METRICS: Record<keyof typeof RECORD_GROUPS | PeerGroupName, readonly SeriesMetric[]> = {
  ...RECORD_GROUPS,
  ...Object.fromEntries(Array.from({ length: MAX_PEERS }, (_, rank) => [peerGroup(rank), [peerThroughputMetric(rank), peerBusyMetric(rank)]])),
};
export type SeriesGroupName = keyof typeof GROUP_METRICS;
export const SERIES_GROUPS = Object.keys(GROUP_METRICS) as SeriesGroupName[];

const GROUP_OF = Object.fromEntries(
  SERIES_GROUPS.flatMap((g) => GROUP_METRICS[g].map((m) => [m, g])),
) as Record<SeriesMetric, SeriesGroupName>;

/** One kind of record as columns: where each point is (step, time, samples seen) and its values. */
export class SeriesGroup {
  readonly step = GrowableColumn.f64();
  readonly time = GrowableColumn.f64();
  readonly samples = GrowableColumn.f64();
  readonly values: Record<string, GrowableColumn<Float32Array>>;

  constructor(readonly metrics: readonly SeriesMetric[]) {
    this.values = Object.fromEntries(metrics.map((m) => [m, GrowableColumn.f32()]));
  }

  get length(): number {
    return this.step.length;
  }

  push(step: number, time: number, samples: number, values: readonly number[]): void {
    this.step.push(step);
    this.time.push(time);
    this.samples.push(samples);
    this.metrics.forEach((m, i) => this.values[m]!.push(values[i]!));
  }

  /** Drops the points after `step` (superseded when a run continues from a checkpoint). */
  truncateAfter(step: number): void {
    let n = this.length;
    while (n > 0 && this.step.at(n - 1) > step) n--;
    for (const c of this.columns()) c.length = n;
  }

  columns(): GrowableColumn<Float32Array | Float64Array>[] {
    return [this.step, this.time, this.samples, ...this.metrics.map((m) => this.values[m]!)];
  }

  /** The names of `columns()`, in the same order. */
  columnNames(): string[] {
    return ['step', 'time', 'samples', ...this.metrics];
  }

  /** The column that orders points on `axis`, and the maps between its units and the axis'. */
  axisColumn(axis: SeriesAxis, origin: number): { column: Float64Array; toAxis: (v: number) => number; fromAxis: (x: number) => number } {
    const same = (v: number) => v;
    switch (axis) {
      case 'step':
        return { column: this.step.view(), toAxis: same, fromAxis: same };
      case 'samples':
        return { column: this.samples.view(), toAxis: same, fromAxis: same };
      case 'wall':
        return { column: this.time.view(), toAxis: same, fromAxis: same };
      case 'relative':
        return { column: this.time.view(), toAxis: (t) => (t - origin) / 1000, fromAxis: (x) => origin + x * 1000 };
    }
  }
}

/** First index whose value is ≥ `value` (`inclusive`) or > `value`, in an ascending column. */
function bound(column: Float64Array, value: number, inclusive: boolean): number {
  let lo = 0;
  let hi = column.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (column[mid]! < value || (!inclusive && column[mid] === value)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type ParsedQuery = Required<Pick<SeriesWindowQuery, 'metrics' | 'axis' | 'buckets' | 'smoothing' | 'steps'>> & Pick<SeriesWindowQuery, 'from' | 'to'>;

/**
 * Every numeric series of one run, folded from its log records in order (the same fold the
 * renderer's timeline does for events), answering windowed, extreme-preserving queries.
 */
export class RunColumns {
  readonly groups = Object.fromEntries(SERIES_GROUPS.map((g) => [g, new SeriesGroup(GROUP_METRICS[g])])) as Record<SeriesGroupName, SeriesGroup> & Record<keyof typeof RECORD_GROUPS, SeriesGroup>;
  private samplesSeen = 0;
  /** Per metric: the EMA last computed, for the next pan or zoom. */
  private readonly smoothedCache = new Map<SeriesMetric, { key: string; values: Float64Array }>();

  constructor(readonly origin: number) {}

  apply(record: RunRecord): void {
    switch (record.type) {
      case 'step':
        this.samplesSeen = record.samplesSeen;
        this.groups.train.push(record.step, record.time, record.samplesSeen, [record.loss, record.accuracy ?? NaN, record.lr, record.batchSize]);
        if (record.exchange) this.groups.exchange.push(record.step, record.time, record.samplesSeen, [record.exchange.computeMs, record.exchange.commMs, record.exchange.overlapMs ?? NaN]);
        break;
      case 'peer-stats':
        this.groups[peerGroup(record.rank)]?.push(record.step, record.time, this.samplesSeen, [record.samplesPerSec, busyPercent(record.computeMs, record.commMs)]);
        break;
      case 'epoch':
        this.groups.val.push(record.step, record.time, this.samplesSeen, [record.valLoss, record.valAccuracy ?? NaN]);
        break;
      case 'hardware': {
        const gpu = record.gpus[0];
        const memory = gpu?.memoryUsedMiB != null && gpu.memoryTotalMiB ? (100 * gpu.memoryUsedMiB) / gpu.memoryTotalMiB : NaN;
        this.groups.hardware.push(record.step, record.time, this.samplesSeen, [
          record.cpuPercent ?? NaN, record.trainerCpuPercent ?? NaN, gpu?.utilizationPercent ?? NaN, memory,
        ]);
        break;
      }
      case 'memory':
        this.groups.memory.push(record.step, record.time, this.samplesSeen, [record.numTensors, record.numBytes]);
        break;
      case 'resume':
        for (const g of SERIES_GROUPS) this.groups[g].truncateAfter(record.fromStep);
        this.samplesSeen = this.groups.train.length > 0 ? this.groups.train.samples.at(this.groups.train.length - 1) : 0;
        this.smoothedCache.clear();
        break;
    }
  }

  window(q: ParsedQuery): SeriesWindow {
    const groups = [...new Set(q.metrics.map((m) => GROUP_OF[m]))].map((g) => this.groups[g]).filter((g) => g.length > 0);
    let extent: { min: number; max: number } | null = null;
    for (const g of groups) {
      const { column, toAxis } = g.axisColumn(q.axis, this.origin);
      const min = toAxis(column[0]!);
      const max = toAxis(column[column.length - 1]!);
      extent = extent ? { min: Math.min(extent.min, min), max: Math.max(extent.max, max) } : { min, max };
    }
    const from = q.from ?? extent?.min ?? 0;
    const to = q.to ?? extent?.max ?? 0;
    let downsampled = false;
    const lines: SeriesLine[] = q.metrics.map((metric) => {
      const g = this.groups[GROUP_OF[metric]];
      const { column, toAxis, fromAxis } = g.axisColumn(q.axis, this.origin);
      const values = g.values[metric]!.view();
      const range = { from: fromAxis(from), to: fromAxis(to), buckets: q.buckets };
      const first = bound(column, range.from, true);
      const end = bound(column, range.to, false);
      // One point either side, so the line runs on to the window's edges.
      const lo = Math.max(0, first - 1);
      const hi = Math.min(g.length, end + 1);
      const raw = m4Downsample(column, values, lo, hi, range, toAxis);
      downsampled ||= raw.reduced;
      const line: SeriesLine = { metric, points: raw.points, rawCount: end - first };
      if (q.smoothing > 0) line.smoothed = m4Downsample(column, this.smoothed(metric, values, q.smoothing), lo, hi, range, toAxis).points;
      return line;
    });
    const train = this.groups.train;
    const { column: trainX, toAxis } = train.axisColumn(q.axis, this.origin);
    const xOfSteps = q.steps.map((s) => {
      const i = bound(train.step.view(), s, true);
      return i < train.length ? toAxis(trainX[i]!) : null;
    });
    return { axis: q.axis, extent, from, to, origin: this.origin, downsampled, lines, xOfSteps };
  }

  /** The EMA depends on every earlier point, so it is computed over the whole series (and kept for the next pan). */
  private smoothed(metric: SeriesMetric, values: Float32Array, weight: number): Float64Array {
    const key = `${weight}|${values.length}`;
    let cached = this.smoothedCache.get(metric);
    if (cached?.key !== key) this.smoothedCache.set(metric, (cached = { key, values: debiasedEma(values, weight) }));
    return cached.values;
  }
}

function busyPercent(computeMs: number, commMs: number): number {
  const step = computeMs + commMs;
  return step > 0 ? (100 * computeMs) / step : NaN;
}
