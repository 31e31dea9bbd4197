import { z } from 'zod';
import { MAX_PEERS } from './distributed.js';

/**
 * A run's numeric series, read in windows: the host keeps every point and answers each
 * request with at most a few points per pixel column, always including each column's
 * extremes, so a one-step spike survives any zoom level.
 */

export const SERIES_METRICS = [
  'loss', 'accuracy', 'lr', 'batchSize',
  'valLoss', 'valAccuracy',
  'cpu', 'trainerCpu', 'gpuUtil', 'gpuMemory',
  'tensors', 'tensorBytes',
  // A data-parallel run's rank 0, per step: ms computing its gradients, ms then waiting on the
  // exchange, ms of the exchange that ran while it still computed.
  'computeMs', 'commMs', 'overlapMs',
] as const;

/** A data-parallel run's peer `rank`'s training samples per second, e.g. `peer2SamplesPerSec`. */
export const PeerThroughputMetric = z.templateLiteral(['peer', z.number().int().min(0).max(MAX_PEERS - 1), 'SamplesPerSec']);
export type PeerThroughputMetric = z.infer<typeof PeerThroughputMetric>;
export const peerThroughputMetric = (rank: number): PeerThroughputMetric => `peer${rank}SamplesPerSec`;

/** Peer `rank`'s share of each step spent computing, in percent (a pipeline stage's idle rest is its bubble), e.g. `peer1BusyPercent`. */
export const PeerBusyMetric = z.templateLiteral(['peer', z.number().int().min(0).max(MAX_PEERS - 1), 'BusyPercent']);
export type PeerBusyMetric = z.infer<typeof PeerBusyMetric>;
export const peerBusyMetric = (rank: number): PeerBusyMetric => `peer${rank}BusyPercent`;

const METRIC_NAMES = `one of: ${SERIES_METRICS.join(', ')}, peerNSamplesPerSec or peerNBusyPercent (N 0–${MAX_PEERS - 1})`;
export const SeriesMetric = z.union([z.enum(SERIES_METRICS), PeerThroughputMetric, PeerBusyMetric], { error: `must be ${METRIC_NAMES}` });
export type SeriesMetric = z.infer<typeof SeriesMetric>;

/** `wall`: clock time (ms since the epoch); `relative`: seconds since the run began; `samples`: training examples seen. */
export const SERIES_AXES = ['step', 'wall', 'relative', 'samples'] as const;
export const SeriesAxis = z.enum(SERIES_AXES, { error: `must be one of: ${SERIES_AXES.join(', ')}` });
export type SeriesAxis = z.infer<typeof SeriesAxis>;

export const SERIES_LIMITS = { buckets: { min: 16, max: 8192 }, steps: 1000, metrics: 8 } as const;

const BUCKETS_RANGE = `must be an integer from ${SERIES_LIMITS.buckets.min} to ${SERIES_LIMITS.buckets.max}`;

export const SeriesWindowQuery = z
  .object({
    runId: z.string().min(1).max(200),
    metrics: z.array(SeriesMetric).min(1).max(SERIES_LIMITS.metrics, { error: `at most ${SERIES_LIMITS.metrics} metrics` }),
    axis: SeriesAxis,
    /** The visible x range, in the axis' units; left out: the whole run. */
    from: z.number().optional(),
    to: z.number().optional(),
    /** About the chart's width in pixels: the window is reduced to at most 4 points per bucket. */
    buckets: z
      .number({ error: BUCKETS_RANGE })
      .int({ error: BUCKETS_RANGE })
      .min(SERIES_LIMITS.buckets.min, { error: BUCKETS_RANGE })
      .max(SERIES_LIMITS.buckets.max, { error: BUCKETS_RANGE }),
    /** Debiased EMA weight (TensorBoard's), 0 = none, computed over every point. */
    smoothing: z.number().min(0, { error: 'must be from 0 to 0.999' }).max(0.999, { error: 'must be from 0 to 0.999' }).default(0),
    /** Steps whose position on this axis the caller needs (markers). */
    steps: z.array(z.number().int()).max(SERIES_LIMITS.steps).default([]),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { error: 'must not be after to', path: ['from'] });
export type SeriesWindowQuery = z.input<typeof SeriesWindowQuery>;

export const SeriesLine = z.object({
  metric: SeriesMetric,
  /** Flat [x0, y0, x1, y1, …], in x order. */
  points: z.array(z.number()),
  /** The smoothed curve over the same window, when smoothing > 0. */
  smoothed: z.array(z.number()).optional(),
  /** Raw points of this metric inside the window. */
  rawCount: z.number().int(),
});
export type SeriesLine = z.infer<typeof SeriesLine>;

export const SeriesWindow = z.object({
  axis: SeriesAxis,
  /** The whole run's x range on this axis (null: no points yet). */
  extent: z.object({ min: z.number(), max: z.number() }).nullable(),
  from: z.number(),
  to: z.number(),
  /** Start of the run (ms since the epoch): the origin of the `relative` axis. */
  origin: z.number(),
  /** True when some line had more points in the window than it sent. */
  downsampled: z.boolean(),
  lines: z.array(SeriesLine),
  /** `steps` of the query on this axis, in order; null where the run has no such step. */
  xOfSteps: z.array(z.number().nullable()),
});
export type SeriesWindow = z.infer<typeof SeriesWindow>;
