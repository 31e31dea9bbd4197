import { z } from 'zod';
import { RunConfig } from './run-config.js';
import { BackendName, HintEvent, HyperparamChange, StepEvent, TrainerEvent } from './trainer-protocol.js';

/** Bumped when the log format changes; readers keep reading every older version. */
export const RUN_LOG_VERSION = 1;
export const RUN_LOG_FORMAT = 'hpc-studio/run-log';

export const RunLogHeader = z.object({
  format: z.literal(RUN_LOG_FORMAT),
  version: z.number().int().min(1),
  runId: z.string(),
  createdAt: z.number(),
  config: RunConfig,
});
export type RunLogHeader = z.infer<typeof RunLogHeader>;

export const RUN_STATUSES = ['running', 'paused', 'done', 'stopped', 'failed'] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;

/** One GPU's readings kept with a run. */
export const GpuPoint = z.object({
  index: z.number().int(),
  utilizationPercent: z.number().nullable(),
  memoryUsedMiB: z.number().nullable(),
  memoryTotalMiB: z.number().nullable(),
  powerDrawW: z.number().nullable(),
});

/** One hardware reading kept in a run's log: the few series a run's page draws, on its time axis and step. */
export const HardwarePoint = z.object({
  type: z.literal('hardware'),
  time: z.number(),
  /** The last step the trainer reported when the sample was taken. */
  step: z.number().int(),
  cpuPercent: z.number().nullable(),
  memoryUsedBytes: z.number().nullable(),
  trainerCpuPercent: z.number().nullable(),
  trainerRssBytes: z.number().nullable(),
  gpus: z.array(GpuPoint),
});
export type HardwarePoint = z.infer<typeof HardwarePoint>;

export const HintRecord = HintEvent;
export type HintRecord = z.infer<typeof HintRecord>;

/** What the host writes beside the trainer's own events. */
export const HostRecord = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('status'),
    time: z.number(),
    status: RunStatus,
    reason: z.string().optional(),
    exitCode: z.number().int().nullable().optional(),
    signal: z.string().nullable().optional(),
    /** Last lines the trainer wrote to stderr, kept when it fails. */
    stderrTail: z.array(z.string()).optional(),
  }),
  /** A user asked for a hyperparameter change; the trainer's `hyperparams` event says when it applied. */
  z.object({ type: z.literal('hyperparams-requested'), time: z.number(), change: HyperparamChange }),
  /** The run continues from a checkpoint: records after `fromStep` before this one are superseded. */
  z.object({ type: z.literal('resume'), time: z.number(), fromStep: z.number().int() }),
  HardwarePoint,
  HintRecord,
]);
export type HostRecord = z.infer<typeof HostRecord>;

export const RunRecord = z.union([TrainerEvent, HostRecord]);
export type RunRecord = z.infer<typeof RunRecord>;

/** What the user adds to a run: tags, a note, and whether it is archived (hidden from the list). */
export const RunMeta = z.object({
  tags: z
    .array(z.string().trim().min(1, { error: 'a tag cannot be empty' }).max(32, { error: 'a tag is at most 32 characters' }))
    .max(20, { error: 'at most 20 tags' }),
  note: z.string().max(2000, { error: 'a note is at most 2,000 characters' }),
  archived: z.boolean(),
});
export type RunMeta = z.infer<typeof RunMeta>;
export const EMPTY_RUN_META: RunMeta = { tags: [], note: '', archived: false };

export const RunSummary = z.object({
  id: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  config: RunConfig,
  status: RunStatus,
  reason: z.string().optional(),
  backend: BackendName.optional(),
  step: z.number().int(),
  epoch: z.number().int(),
  testLoss: z.number().optional(),
  testAccuracy: z.number().optional(),
  valLoss: z.number().optional(),
  valAccuracy: z.number().optional(),
  /** Energy the GPUs drew during the run, integrated from power samples; absent when power is unreadable. */
  energyJ: z.number().optional(),
  hints: z.number().int(),
  /** The trainer's last tensor reading (`memory` event), with the highest in-step peak of the run. */
  tensors: z.object({ numTensors: z.number().int(), numBytes: z.number(), peakStepBytes: z.number() }).optional(),
  /** The trainer process's highest resident memory among the hardware readings. */
  peakTrainerRssBytes: z.number().optional(),
  /** The epoch with the lowest validation loss: the one the best checkpoint holds. */
  bestEpoch: z.number().int().optional(),
  /** Early stopping ended the run before its last epoch. */
  stoppedEarly: z.boolean().optional(),
  /** A checkpoint exists, so a stopped or failed run can be resumed. */
  resumable: z.boolean(),
  /** The log's last line was torn (a crash mid-write) and was left out. */
  tornTail: z.boolean(),
  meta: RunMeta,
});
export type RunSummary = z.infer<typeof RunSummary>;

/** A run's page: its events; per-step values and hardware readings are read as series windows. */
export const RunDetail = z.object({ summary: RunSummary, records: z.array(RunRecord), lastStep: StepEvent.nullable() });
export type RunDetail = z.infer<typeof RunDetail>;
