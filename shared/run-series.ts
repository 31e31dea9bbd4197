import { z } from 'zod';
import { RunConfig } from './run-config.js';
import { GpuPoint } from './run-record.js';

/**
 * A run's series as exported (JSON, CSV, TensorBoard): what its charts draw, with records
 * superseded by a resume left out. Missing values are `null` (regression has no accuracy).
 */
export const RUN_SERIES_FORMAT = 'hpc-studio/run-series';
export const RUN_SERIES_VERSION = 1;

/** `time` is ms since the Unix epoch; `relativeTimeSec` counts from the run's first record, like the charts' time axis. */
const timed = { step: z.number().int(), time: z.number(), relativeTimeSec: z.number() };

export const StepRow = z.object({
  ...timed,
  epoch: z.number().int(),
  samplesSeen: z.number().int(),
  loss: z.number(),
  accuracy: z.number().nullable(),
  lr: z.number(),
  batchSize: z.number().int(),
  samplesPerSec: z.number(),
});
export type StepRow = z.infer<typeof StepRow>;

export const EpochRow = z.object({
  ...timed,
  epoch: z.number().int(),
  trainLoss: z.number(),
  trainAccuracy: z.number().nullable(),
  valLoss: z.number(),
  valAccuracy: z.number().nullable(),
});
export type EpochRow = z.infer<typeof EpochRow>;

export const HardwareRow = z.object({
  ...timed,
  cpuPercent: z.number().nullable(),
  memoryUsedBytes: z.number().nullable(),
  trainerCpuPercent: z.number().nullable(),
  trainerRssBytes: z.number().nullable(),
  gpus: z.array(GpuPoint),
});
export type HardwareRow = z.infer<typeof HardwareRow>;

export const TestResult = z.object({ ...timed, testLoss: z.number(), testAccuracy: z.number().nullable() });
export type TestResult = z.infer<typeof TestResult>;

export const RunSeries = z.object({
  format: z.literal(RUN_SERIES_FORMAT),
  version: z.number().int().min(1),
  runId: z.string(),
  createdAt: z.number(),
  /** The origin of `relativeTimeSec`. */
  startTime: z.number(),
  config: RunConfig,
  steps: z.array(StepRow),
  epochs: z.array(EpochRow),
  hardware: z.array(HardwareRow),
  test: TestResult.nullable(),
});
export type RunSeries = z.infer<typeof RunSeries>;
