import type { HardwareSample } from '../../shared/hardware-sample.js';
import type { HintRecord } from '../../shared/run-record.js';

export type Hint = Pick<HintRecord, 'kind' | 'message' | 'evidence'>;

export interface HintDetectorOptions {
  /** How much history a judgement needs, so one idle blip is not "input-bound". */
  windowMs?: number;
  /** A hint is not repeated sooner than this. */
  cooldownMs?: number;
}

const THROTTLES = new Set(['sw_power_cap', 'hw_slowdown', 'sw_thermal_slowdown', 'hw_thermal_slowdown', 'hw_power_brake_slowdown']);
const MiB = 2 ** 20;

/**
 * Watches hardware samples during a run and names what is wrong, with the numbers that show it:
 * an input-bound trainer (GPU mostly idle while the trainer saturates a CPU core), GPU memory
 * above 90 %, thermal or power throttling, and host memory pressure.
 */
export class HintDetector {
  private readonly window: HardwareSample[] = [];
  private readonly lastFired = new Map<Hint['kind'], number>();
  private readonly windowMs: number;
  private readonly cooldownMs: number;

  constructor(options: HintDetectorOptions = {}) {
    this.windowMs = options.windowMs ?? 10_000;
    this.cooldownMs = options.cooldownMs ?? 60_000;
  }

  observe(sample: HardwareSample): Hint[] {
    this.window.push(sample);
    while (this.window.length > 0 && sample.time - this.window[0]!.time > this.windowMs) this.window.shift();
    const full = sample.time - this.window[0]!.time >= this.windowMs * 0.8;
    const found = [
      full ? this.inputBound() : null,
      this.gpuMemory(sample),
      full ? this.throttling() : null,
      full ? this.memoryPressure(sample) : null,
    ].filter((h): h is Hint => h !== null);
    return found.filter((h) => {
      const last = this.lastFired.get(h.kind);
      if (last !== undefined && sample.time - last < this.cooldownMs) return false;
      this.lastFired.set(h.kind, sample.time);
      return true;
    });
  }

  private inputBound(): Hint | null {
    const util = mean(this.window.flatMap((s) => s.gpus.map((g) => g.utilizationPercent)));
    const trainerCpu = mean(this.window.map((s) => s.trainer?.cpuPercent ?? null));
    if (util === null || trainerCpu === null || util >= 40 || trainerCpu < 90) return null;
    const seconds = Math.round(this.windowMs / 1000);
    return {
      kind: 'input-bound',
      message: 'input-bound: the GPU waits while the trainer’s CPU work (data loading, batching) is saturated',
      evidence: `GPU utilisation averaged ${util.toFixed(0)} % over the last ${seconds} s while the trainer used ${trainerCpu.toFixed(0)} % of a CPU core`,
    };
  }

  private gpuMemory(sample: HardwareSample): Hint | null {
    const full = sample.gpus.find((g) => g.memoryUsedMiB !== null && g.memoryTotalMiB && g.memoryUsedMiB / g.memoryTotalMiB > 0.9);
    if (!full) return null;
    const share = (100 * full.memoryUsedMiB!) / full.memoryTotalMiB!;
    return {
      kind: 'gpu-memory',
      message: `GPU ${full.index} memory is above 90 %: a larger batch or model may run out of memory`,
      evidence: `GPU ${full.index} memory ${full.memoryUsedMiB!.toLocaleString('en')} / ${full.memoryTotalMiB!.toLocaleString('en')} MiB (${share.toFixed(0)} %)`,
    };
  }

  private throttling(): Hint | null {
    const recent = this.window.slice(-3);
    if (recent.length < 3) return null;
    for (const g of recent.at(-1)!.gpus) {
      const reasons = (g.throttleReasons ?? []).filter((r) => THROTTLES.has(r));
      const steady = reasons.length > 0 && recent.every((s) => s.gpus.find((x) => x.index === g.index)?.throttleReasons?.some((r) => THROTTLES.has(r)));
      if (!steady) continue;
      const kind = reasons.some((r) => r.includes('thermal')) ? 'thermal' : 'power';
      return {
        kind: 'throttling',
        message: `GPU ${g.index} is ${kind}-throttled: its clocks are held down`,
        evidence: `GPU ${g.index}: ${reasons.join(', ')} at ${g.temperatureC ?? 'n/a'} °C, ${g.powerDrawW ?? 'n/a'} / ${g.powerLimitW ?? 'n/a'} W, SM ${g.smClockMHz ?? 'n/a'} of ${g.smClockMaxMHz ?? 'n/a'} MHz`,
      };
    }
    return null;
  }

  private memoryPressure(sample: HardwareSample): Hint | null {
    const { availableBytes, totalBytes, swapUsedBytes } = sample.memory;
    const swapBefore = this.window[0]!.memory.swapUsedBytes;
    const swapGrowth = swapUsedBytes !== null && swapBefore !== null ? swapUsedBytes - swapBefore : 0;
    const lowMemory = availableBytes !== null && totalBytes && availableBytes / totalBytes < 0.1;
    if (!lowMemory && swapGrowth <= 64 * MiB) return null;
    return {
      kind: 'memory-pressure',
      message: 'host memory pressure: the machine is short of RAM and may be swapping, which stalls training',
      evidence: `${((availableBytes ?? 0) / 2 ** 30).toFixed(1)} GiB of ${((totalBytes ?? 0) / 2 ** 30).toFixed(1)} GiB available; swap grew ${(swapGrowth / MiB).toFixed(0)} MiB in ${Math.round(this.windowMs / 1000)} s`,
    };
  }
}

function mean(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length;
}
