import type { HardwareSample } from '../../shared/hardware-sample.js';
import { AllGpus, type GpuSource } from './gpu-source.js';
import type { HostSampler } from './host-sampler.js';
import { NvidiaSmiSampler } from './nvidia-smi-sampler.js';
import { ProcSampler } from './proc-sampler.js';
import { RepeatingTask } from './repeating-task.js';
import { RocmSmiSampler } from './rocm-smi.js';
import { SystemInformationSampler } from './systeminformation-sampler.js';

export interface HardwareMonitorOptions {
  intervalMs: number;
  host: HostSampler;
  gpu: GpuSource;
  /** The trainer to watch, while one runs. */
  trainerPid?: () => number | null;
  now?: () => number;
  /** Keep the process alive while sampling (the `monitor` command); services leave this off. */
  keepAlive?: boolean;
}

/**
 * Samples the machine every `intervalMs`: GPUs from their long-lived reader, the rest from the
 * host sampler, combined into one `HardwareSample`. Unless asked, its timer does not keep the
 * process alive on its own.
 */
export class HardwareMonitor {
  private readonly listeners = new Set<(sample: HardwareSample) => void>();
  private readonly now: () => number;
  private readonly ticker: RepeatingTask;

  constructor(private readonly o: HardwareMonitorOptions) {
    this.now = o.now ?? Date.now;
    this.ticker = new RepeatingTask(() => this.tick(), o.intervalMs, o.keepAlive);
  }

  onSample(listener: (sample: HardwareSample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    await this.o.gpu.start();
    await this.ticker.start();
  }

  get intervalMs(): number {
    return this.o.intervalMs;
  }

  setIntervalMs(intervalMs: number): void {
    this.o.intervalMs = intervalMs;
    this.o.gpu.setPeriod(intervalMs);
    this.ticker.setPeriod(intervalMs);
  }

  stop(): void {
    this.ticker.stop();
    this.o.gpu.stop();
  }

  /** Reads one sample now. */
  async sample(): Promise<HardwareSample> {
    const host = await this.o.host.sample(this.o.trainerPid?.() ?? null);
    const time = this.now();
    return {
      time,
      ...host,
      gpus: this.o.gpu.gpus(time),
      gpuStatus: this.o.gpu.gpuStatus(time),
      gpuProcesses: this.o.gpu.gpuProcesses(),
    };
  }

  private async tick(): Promise<void> {
    const sample = await this.sample();
    for (const l of this.listeners) l(sample);
  }

}

/** The monitor for this machine: /proc on Linux, systeminformation elsewhere; nvidia-smi and rocm-smi for GPUs. */
export function createHardwareMonitor(
  intervalMs: number,
  options: { trainerPid?: () => number | null; env?: NodeJS.ProcessEnv; keepAlive?: boolean } = {},
): HardwareMonitor {
  const { trainerPid, env, keepAlive } = options;
  return new HardwareMonitor({
    intervalMs,
    trainerPid,
    keepAlive,
    host: process.platform === 'linux' ? new ProcSampler() : new SystemInformationSampler(),
    gpu: new AllGpus([new NvidiaSmiSampler({ periodMs: intervalMs, env }), new RocmSmiSampler({ periodMs: intervalMs, env })]),
  });
}
