import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_CONFIG } from '../../shared/run-config.js';
import type { GpuSample, HardwareSample } from '../../shared/hardware-sample.js';
import { EMPTY_RUN_META, type RunRecord } from '../../shared/run-record.js';
import { HintDetector } from '../../host/monitor/hint-detector.js';
import { summarizeRun } from '../../host/run-summary.js';

const gpu = (patch: Partial<GpuSample> = {}): GpuSample => ({
  index: 0, uuid: 'GPU-1', name: 'NVIDIA H100', vendor: 'nvidia', utilizationPercent: 95, memoryUtilizationPercent: 40,
  memoryUsedMiB: 30000, memoryTotalMiB: 81559, temperatureC: 60, powerDrawW: 400, powerLimitW: 700, smClockMHz: 1980,
  smClockMaxMHz: 1980, fanPercent: null, pstate: 'P0', throttleReasons: [], ...patch,
});

/** A recorded series: one sample per 200 ms, as the monitor takes them at 5 Hz. */
function series(seconds: number, at: (t: number) => { gpu?: Partial<GpuSample>; trainerCpu: number; availableGiB?: number }): HardwareSample[] {
  return Array.from({ length: seconds * 5 }, (_, i) => {
    const t = i * 200;
    const s = at(t);
    return {
      time: 1_000_000 + t,
      cpu: { totalPercent: 60, perCorePercent: [60, 60] },
      memory: { totalBytes: 24 * 2 ** 30, usedBytes: 4 * 2 ** 30, availableBytes: (s.availableGiB ?? 20) * 2 ** 30, swapTotalBytes: 0, swapUsedBytes: 0 },
      disk: { readBytesPerSec: 0, writeBytesPerSec: 0 },
      network: { readBytesPerSec: 0, writeBytesPerSec: 0 },
      gpus: [gpu(s.gpu)],
      gpuStatus: { available: true, reason: null },
      gpuProcesses: [],
      trainer: { pid: 7, cpuPercent: s.trainerCpu, rssBytes: 2 ** 30 },
    };
  });
}

const run = (samples: HardwareSample[]) => {
  const d = new HintDetector();
  return samples.flatMap((s) => d.observe(s));
};

describe('hardware hints', () => {
  it('calls a GPU-idle, CPU-busy stretch input-bound, with the evidence', () => {
    const hints = run(series(15, () => ({ gpu: { utilizationPercent: 12 }, trainerCpu: 99 })));
    expect(hints).toEqual([
      {
        kind: 'input-bound',
        message: expect.stringContaining('input-bound'),
        evidence: 'GPU utilisation averaged 12 % over the last 10 s while the trainer used 99 % of a CPU core',
      },
    ]);
  });

  it('says nothing for a steady, GPU-bound run, or for one idle blip', () => {
    expect(run(series(30, () => ({ trainerCpu: 99 })))).toEqual([]);
    expect(run(series(30, (t) => ({ gpu: { utilizationPercent: t > 5000 && t < 6000 ? 0 : 95 }, trainerCpu: 99 })))).toEqual([]);
  });

  it('flags GPU memory above 90 %, thermal throttling, and host memory pressure', () => {
    const kinds = run(
      series(12, (t) => ({
        gpu: { memoryUsedMiB: t > 2000 ? 78000 : 30000, throttleReasons: t > 4000 ? ['hw_thermal_slowdown'] : [] },
        trainerCpu: 50,
        availableGiB: t > 6000 ? 1 : 20,
      })),
    );
    expect(kinds.map((h) => h.kind)).toEqual(['gpu-memory', 'throttling', 'memory-pressure']);
    expect(kinds[0]!.evidence).toBe('GPU 0 memory 78,000 / 81,559 MiB (96 %)');
    expect(kinds[1]!.evidence).toMatch(/^GPU 0: hw_thermal_slowdown at 60 °C/);
  });
});

describe('run energy', () => {
  const header = { format: 'hpc-studio/run-log' as const, version: 1, runId: 'r', createdAt: 0, config: DEFAULT_RUN_CONFIG };
  const ctx = { active: false, resumable: false, tornTail: false, updatedAt: 0, meta: EMPTY_RUN_META };
  const hw = (time: number, watts: (number | null)[]): RunRecord => ({
    type: 'hardware', time, step: 0, cpuPercent: 10, memoryUsedBytes: 1, trainerCpuPercent: 90, trainerRssBytes: 1,
    gpus: watts.map((w, index) => ({ index, utilizationPercent: 90, memoryUsedMiB: 1, memoryTotalMiB: 2, powerDrawW: w })),
  });

  it('integrates the GPUs’ power over time, skipping gaps', () => {
    const records = [0, 1000, 2000, 3000].map((t) => hw(t, [100, 200]));
    records.push(hw(60_000, [100, 200]), hw(61_000, [100, 200]));
    expect(summarizeRun(header, records, ctx).energyJ).toBeCloseTo(300 * 3 + 300, 6);
  });

  it('is absent when no power is readable', () => {
    expect(summarizeRun(header, [hw(0, [null]), hw(1000, [null])], ctx).energyJ).toBeUndefined();
    expect(summarizeRun(header, [hw(0, []), hw(1000, [])], ctx).energyJ).toBeUndefined();
  });
});
