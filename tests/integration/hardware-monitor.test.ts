import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardwareSample } from '../../shared/hardware-sample.js';
import { NvidiaSmiSampler } from '../../host/monitor/nvidia-smi-sampler.js';
import { ProcSampler } from '../../host/monitor/proc-sampler.js';
import { RocmSmiSampler } from '../../host/monitor/rocm-smi.js';
import { SystemInformationSampler } from '../../host/monitor/systeminformation-sampler.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { createStudioHost } from '../../host/studio-host.js';
import { forkTrainer } from '../../host/trainer-process.js';
import type { RunRecord } from '../../shared/run-record.js';
import { ROOT, smallRun, tempDir, TRAINER_ENTRY, waitFor } from '../support/studio-fixture.js';

// This machine has no NVIDIA GPU. A stand-in nvidia-smi (tests/fixtures/fake-nvidia-smi), put first
// on PATH, answers in the real tool's CSV format: two GPUs, `[N/A]`/`[Not Supported]` cells, and it
// can die mid-line. The no-GPU path below runs for real.
const FAKE_DIR = join(ROOT, 'tests', 'fixtures', 'fake-nvidia-smi');
const withFake = (extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, PATH: `${FAKE_DIR}:${process.env.PATH}`, ...extra });
const withoutNvidia = { ...process.env, PATH: '/usr/bin:/bin' };

describe('GPU sampling through nvidia-smi', () => {
  it('reads two GPUs by header, with unavailable values as null, and their processes', async () => {
    const sampler = new NvidiaSmiSampler({ periodMs: 100, env: withFake(), processesEveryMs: 200 });
    await sampler.start();
    try {
      const gpus = await waitFor('two GPUs', () => (sampler.gpus(Date.now()).length === 2 ? sampler.gpus(Date.now()) : null), 5000);
      expect(gpus[0]).toMatchObject({ index: 0, name: 'NVIDIA H100 80GB HBM3', utilizationPercent: 87, memoryUsedMiB: 30512, fanPercent: null, throttleReasons: ['sw_power_cap'] });
      expect(gpus[1]).toMatchObject({ index: 1, powerDrawW: null, utilizationPercent: 0, throttleReasons: ['gpu_idle'] });
      expect(sampler.gpuStatus(Date.now())).toEqual({ available: true, reason: null });
      await waitFor('processes', () => sampler.gpuProcesses().length > 0, 3000);
      expect(sampler.gpuProcesses()).toEqual([{ pid: 4242, name: 'python3', usedMemoryMiB: 30210, gpuUuid: 'GPU-11111111-2222-3333-4444-555555555555' }]);
    } finally {
      sampler.stop();
    }
  });

  it('never asks for a field the driver does not list (the stand-in rejects unknown fields as the real tool does)', () => {
    expect(() => execFileSync(join(FAKE_DIR, 'nvidia-smi'), ['--query-gpu=index,clocks_event_reasons.active', '--format=csv'], { stdio: 'pipe' })).toThrow();
  });

  it('shows the gap when nvidia-smi dies mid-line, then restarts it and reads again', async () => {
    const errors: string[] = [];
    const sampler = new NvidiaSmiSampler({ periodMs: 50, env: withFake({ FAKE_NVIDIA_SMI_DIE_AFTER: '5' }), onError: (e) => errors.push(e) });
    await sampler.start();
    try {
      await waitFor('the first death', () => errors.length >= 1, 5000);
      expect(errors[0]).toMatch(/^nvidia-smi stopped \(exited with code 1\); restarting in 0\.5 s$/);
      expect(sampler.gpuStatus(Date.now())).toMatchObject({ available: false, reason: expect.stringContaining('restarting') });
      await waitFor('readings after the restart', () => sampler.gpuStatus(Date.now()).available, 5000);
      expect(sampler.gpus(Date.now()).length).toBeGreaterThan(0);
    } finally {
      sampler.stop();
    }
  });

  it('says why when there is no NVIDIA GPU (for real, on this machine)', async () => {
    const sampler = new NvidiaSmiSampler({ periodMs: 200, env: withoutNvidia });
    await sampler.start();
    expect(sampler.gpuStatus(Date.now())).toEqual({ available: false, reason: 'nvidia-smi not found (no NVIDIA driver installed)' });
    expect(sampler.gpus(Date.now())).toEqual([]);
    sampler.stop();
  });
});

describe('AMD GPUs through rocm-smi', () => {
  it('reads the stand-in rocm-smi’s cards; without it, says so', async () => {
    const amd = new RocmSmiSampler({ periodMs: 200, env: { ...process.env, PATH: `${join(ROOT, 'tests', 'fixtures', 'fake-rocm-smi')}:${process.env.PATH}` } });
    await amd.start();
    expect(amd.gpus(Date.now()).map((g) => [g.vendor, g.name, g.utilizationPercent])).toEqual([
      ['amd', 'AMD Instinct MI210', 63],
      ['amd', 'AMD Instinct MI210', 0],
    ]);
    amd.stop();
    const none = new RocmSmiSampler({ periodMs: 200, env: withoutNvidia });
    await none.start();
    expect(none.gpuStatus()).toEqual({ available: false, reason: 'rocm-smi not found (no AMD ROCm installed)' });
  });
});

describe('host readings from /proc', () => {
  it('reports CPU per core and total, memory, and a process’s CPU and RSS', async () => {
    const sampler = new ProcSampler();
    const first = await sampler.sample(process.pid);
    expect(first.cpu.totalPercent).toBeNull();
    const until = Date.now() + 300;
    while (Date.now() < until) Math.sqrt(Math.random());
    const s = await sampler.sample(process.pid);
    expect(s.cpu.perCorePercent).toHaveLength(cpus().length);
    expect(s.cpu.totalPercent).toBeGreaterThan(0);
    expect(s.cpu.totalPercent).toBeLessThanOrEqual(100);
    expect(s.memory.totalBytes).toBe(Math.round(totalmem() / 1024) * 1024);
    expect(s.memory.usedBytes).toBeGreaterThan(0);
    // Busy for 300 ms; another test worker may share the core, so only a clear share is asserted.
    expect(s.trainer?.cpuPercent).toBeGreaterThan(20);
    expect(s.trainer?.rssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(s.network.readBytesPerSec).toBeGreaterThanOrEqual(0);
  });
});

describe('hardware recorded with a run', () => {
  it('keeps GPU and trainer series in the run log by step, and the run’s GPU energy', async () => {
    const host = createStudioHost({ dataDir: tempDir('hw'), version: 'test', spawnTrainer: forkTrainer(TRAINER_ENTRY), env: withFake() });
    await host.monitor.start();
    try {
      const { runId } = await host.service.startRun({ config: smallRun({ epochs: 2, limit: 3000 }) });
      await host.supervisor.idle();
      const detail = host.store.detail(runId, false);
      const hardware = detail.records.filter((r): r is Extract<RunRecord, { type: 'hardware' }> => r.type === 'hardware');
      expect(hardware.length).toBeGreaterThan(3);
      expect(hardware.at(-1)!.gpus).toEqual([
        { index: 0, utilizationPercent: 87, memoryUsedMiB: 30512, memoryTotalMiB: 81559, powerDrawW: 512.43 },
        { index: 1, utilizationPercent: 0, memoryUsedMiB: 1, memoryTotalMiB: 81559, powerDrawW: null },
      ]);
      expect(hardware.some((r) => (r.trainerCpuPercent ?? 0) > 20)).toBe(true);
      const steps = hardware.map((r) => r.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(steps.at(-1)).toBeGreaterThan(0);
      expect(detail.summary.energyJ).toBeGreaterThan(0);
      // What the run page's hardware chart draws.
      const window = await host.service.getSeriesWindow({ runId, metrics: ['gpuUtil', 'gpuMemory'], axis: 'step', buckets: 100, smoothing: 0, steps: [] });
      expect(window.lines[0]!.points.filter((_, i) => i % 2 === 1)).toContain(87);
      expect(window.lines[1]!.points[1]).toBeCloseTo((100 * 30512) / 81559, 4);
    } finally {
      host.monitor.stop();
    }
  });
});

describe('host readings from systeminformation (the macOS/Windows path), for real here', () => {
  it('reports CPU per core, memory and disk/network rates', async () => {
    const s = await new SystemInformationSampler().sample(null);
    expect(s.cpu.perCorePercent).toHaveLength(cpus().length);
    expect(s.cpu.totalPercent).toBeGreaterThanOrEqual(0);
    expect(s.memory.totalBytes).toBe(totalmem());
    expect(s.memory.usedBytes).toBeGreaterThan(0);
    expect(s.trainer).toBeNull();
  });
});

describe('hpc-studio monitor', () => {
  it('--json prints one schema-valid sample per line, gpuStatus saying why there is no GPU', async () => {
    const r = await runCli(['monitor', '--json', '--count', '3', '--interval-ms', '100'], { PATH: withoutNvidia.PATH });
    expect(r.code).toBe(0);
    const samples = jsonLines(r.stdout);
    expect(samples).toHaveLength(3);
    for (const s of samples) {
      expect(HardwareSample.omit({ gpuStatus: true }).safeParse(s).success).toBe(true);
      expect(s).toMatchObject({
        gpus: [],
        gpuStatus: { available: false, reason: 'nvidia-smi not found (no NVIDIA driver installed); rocm-smi not found (no AMD ROCm installed)' },
      });
    }
  });

  it('shows the stand-in GPUs in its table, unavailable values as n/a', async () => {
    const r = await runCli(['monitor', '--count', '3', '--interval-ms', '200'], { PATH: withFake().PATH });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/GPU 0 {2}NVIDIA H100 80GB HBM3 {2}util 87 % {2}mem 30512\.0\/81559\.0 MiB {2}64 °C {2}power 512\/700 W {2}SM 1980 MHz {2}fan n\/a {2}throttle sw_power_cap/);
    expect(r.stdout).toMatch(/GPU 1 .*power n\/a\/700 W/);
    expect(r.stdout).toMatch(/pid 4242 {2}python3 {2}30210 MiB/);
  });

  it('rejects a rate outside 1–20 Hz, naming the flag and its range', async () => {
    const r = await runCli(['monitor', '--interval-ms', '10']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--interval-ms: must be an integer from 50 to 1000 \(1–20 Hz\)/);
  });
});
