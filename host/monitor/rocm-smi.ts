import { execFile } from 'node:child_process';
import type { GpuProcess, GpuSample, GpuStatus } from '../../shared/hardware-sample.js';
import type { GpuSource } from './gpu-source.js';
import { numberCell } from './nvidia-smi-csv.js';
import { RepeatingTask } from './repeating-task.js';

/** rocm-smi is a Python script that takes a few hundred ms per call: never poll it faster than this. */
const MIN_PERIOD_MS = 1000;

export const ROCM_SMI_ARGS = ['--showuse', '--showmemuse', '--showtemp', '--showpower', '--showmeminfo', 'vram', '--showclocks', '--showfan', '--showproductname', '--json'];

/** The first value whose key matches, as a number; key names moved between ROCm releases. */
function pick(card: Record<string, string>, ...patterns: RegExp[]): number | null {
  for (const pattern of patterns) {
    const key = Object.keys(card).find((k) => pattern.test(k));
    if (key !== undefined) {
      const value = numberCell(String(card[key]).replace(/[()Mhz]/gi, ' ').trim().split(/\s+/).at(-1));
      if (value !== null) return value;
    }
  }
  return null;
}

/** `rocm-smi … --json` output (`{"card0": {"GPU use (%)": "12", …}}`) as GPU samples. */
export function parseRocmSmi(json: string): GpuSample[] {
  const data = JSON.parse(json) as Record<string, Record<string, string>>;
  return Object.entries(data)
    .filter(([name]) => /^card\d+$/.test(name))
    .map(([name, card]) => {
      const usedB = pick(card, /^VRAM Total Used Memory \(B\)$/);
      const totalB = pick(card, /^VRAM Total Memory \(B\)$/);
      return {
        index: Number(name.slice(4)),
        uuid: card['Unique ID'] ?? null,
        name: card['Card Series'] ?? card['Card series'] ?? card['Card Model'] ?? name,
        vendor: 'amd' as const,
        utilizationPercent: pick(card, /^GPU use \(%\)$/),
        memoryUtilizationPercent: pick(card, /^GPU [Mm]emory [Uu]se \(%\)$/, /^GPU memory use \(%\)$/),
        memoryUsedMiB: usedB === null ? null : usedB / 2 ** 20,
        memoryTotalMiB: totalB === null ? null : totalB / 2 ** 20,
        temperatureC: pick(card, /^Temperature \(Sensor edge\) \(C\)$/, /^Temperature \(Sensor junction\) \(C\)$/),
        powerDrawW: pick(card, /Graphics Package Power \(W\)$/),
        powerLimitW: pick(card, /^Max Graphics Package Power \(W\)$/),
        smClockMHz: pick(card, /^sclk clock speed:?$/),
        smClockMaxMHz: null,
        fanPercent: pick(card, /^Fan speed \(%\)$/),
        pstate: null,
        throttleReasons: null,
      };
    });
}

/** AMD GPUs by polling `rocm-smi --json` (it has no streaming mode), at most once a second. */
export class RocmSmiSampler implements GpuSource {
  private status: GpuStatus = { available: false, reason: 'starting' };
  private latest: { gpus: GpuSample[]; at: number } = { gpus: [], at: 0 };
  private readonly poller: RepeatingTask;

  constructor(private readonly o: { periodMs: number; command?: string; env?: NodeJS.ProcessEnv }) {
    this.poller = new RepeatingTask(() => this.poll(), this.period());
  }

  async start(): Promise<void> {
    await this.poller.start();
    // Without the tool there is nothing to poll for.
    if (this.status.reason?.includes('not found')) this.poller.stop();
  }

  gpus(now: number): GpuSample[] {
    return now - this.latest.at <= 3 * this.period() ? this.latest.gpus : [];
  }

  gpuStatus(): GpuStatus {
    return this.status;
  }

  gpuProcesses(): GpuProcess[] {
    return [];
  }

  setPeriod(periodMs: number): void {
    this.o.periodMs = periodMs;
    this.poller.setPeriod(this.period());
  }

  stop(): void {
    this.poller.stop();
  }

  private period(): number {
    return Math.max(MIN_PERIOD_MS, this.o.periodMs);
  }

  private poll(): Promise<void> {
    const command = this.o.command ?? 'rocm-smi';
    return new Promise((resolve) => {
      execFile(command, ROCM_SMI_ARGS, { env: this.o.env ?? process.env, timeout: 10_000 }, (error, stdout, stderr) => {
        if (error) {
          const notFound = (error as NodeJS.ErrnoException).code === 'ENOENT';
          this.status = { available: false, reason: notFound ? `${command} not found (no AMD ROCm installed)` : `${command} failed: ${(stderr || error.message).trim().split('\n')[0]}` };
          return resolve();
        }
        try {
          this.latest = { gpus: parseRocmSmi(stdout), at: Date.now() };
          this.status = this.latest.gpus.length > 0 ? { available: true, reason: null } : { available: false, reason: `${command} lists no GPUs` };
        } catch {
          this.status = { available: false, reason: `${command} printed something other than JSON` };
        }
        resolve();
      });
    });
  }
}
