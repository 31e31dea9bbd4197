import { z } from 'zod';

/** A reading the hardware could not give (`[N/A]`, `[Not Supported]`, no such sensor): null, never 0. */
const Reading = z.number().nullable();

export const GpuSample = z.object({
  index: z.number().int(),
  uuid: z.string().nullable(),
  name: z.string(),
  vendor: z.enum(['nvidia', 'amd']),
  utilizationPercent: Reading,
  memoryUtilizationPercent: Reading,
  memoryUsedMiB: Reading,
  memoryTotalMiB: Reading,
  temperatureC: Reading,
  powerDrawW: Reading,
  powerLimitW: Reading,
  smClockMHz: Reading,
  smClockMaxMHz: Reading,
  fanPercent: Reading,
  pstate: z.string().nullable(),
  /** Active clock throttle (event) reasons by name; null when the driver does not report them. */
  throttleReasons: z.array(z.string()).nullable(),
});
export type GpuSample = z.infer<typeof GpuSample>;

export const GpuProcess = z.object({
  pid: z.number().int(),
  name: z.string(),
  usedMemoryMiB: Reading,
  gpuUuid: z.string().nullable(),
});
export type GpuProcess = z.infer<typeof GpuProcess>;

export const GpuStatus = z.object({
  available: z.boolean(),
  /** Why no GPU can be read, or why the last readings stopped (e.g. `nvidia-smi not found`). */
  reason: z.string().nullable(),
});
export type GpuStatus = z.infer<typeof GpuStatus>;

export const CpuSample = z.object({
  totalPercent: Reading,
  perCorePercent: z.array(Reading),
});

export const MemorySample = z.object({
  totalBytes: Reading,
  usedBytes: Reading,
  availableBytes: Reading,
  swapTotalBytes: Reading,
  swapUsedBytes: Reading,
});

export const ThroughputSample = z.object({ readBytesPerSec: Reading, writeBytesPerSec: Reading });

export const ProcessSample = z.object({ pid: z.number().int(), cpuPercent: Reading, rssBytes: Reading });
export type ProcessSample = z.infer<typeof ProcessSample>;

export const HardwareSample = z.object({
  time: z.number(),
  cpu: CpuSample,
  memory: MemorySample,
  disk: ThroughputSample,
  /** `readBytesPerSec` is received, `writeBytesPerSec` sent. */
  network: ThroughputSample,
  gpus: z.array(GpuSample),
  gpuStatus: GpuStatus,
  gpuProcesses: z.array(GpuProcess),
  /** The trainer process, while one runs. */
  trainer: ProcessSample.nullable(),
});
export type HardwareSample = z.infer<typeof HardwareSample>;

/** The sampling rate is a setting: 1–20 Hz, 5 Hz by default. */
export const SAMPLE_INTERVAL_MS = { min: 50, max: 1000, default: 200 } as const;
