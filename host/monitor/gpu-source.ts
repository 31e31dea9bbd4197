import type { GpuProcess, GpuSample, GpuStatus } from '../../shared/hardware-sample.js';

/** One vendor's GPUs (NVIDIA through nvidia-smi, AMD through rocm-smi), as the monitor reads them. */
export interface GpuSource {
  start(): Promise<void>;
  gpus(now: number): GpuSample[];
  gpuStatus(now: number): GpuStatus;
  gpuProcesses(): GpuProcess[];
  setPeriod(periodMs: number): void;
  stop(): void;
}

/** Every vendor's GPUs together; "no GPU" only when none has any, with each vendor's reason. */
export class AllGpus implements GpuSource {
  constructor(private readonly sources: GpuSource[]) {}

  async start(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.start()));
  }

  gpus(now: number): GpuSample[] {
    return this.sources.flatMap((s) => s.gpus(now));
  }

  gpuStatus(now: number): GpuStatus {
    const statuses = this.sources.map((s) => s.gpuStatus(now));
    if (statuses.some((s) => s.available)) return { available: true, reason: null };
    return { available: false, reason: statuses.map((s) => s.reason).filter(Boolean).join('; ') || null };
  }

  gpuProcesses(): GpuProcess[] {
    return this.sources.flatMap((s) => s.gpuProcesses());
  }

  setPeriod(periodMs: number): void {
    for (const s of this.sources) s.setPeriod(periodMs);
  }

  stop(): void {
    for (const s of this.sources) s.stop();
  }
}
