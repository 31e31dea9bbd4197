import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AllGpus, type GpuSource } from '../../host/monitor/gpu-source.js';
import { parseRocmSmi } from '../../host/monitor/rocm-smi.js';
import { ROOT } from '../support/studio-fixture.js';

// No AMD GPU on these machines: the fixture follows rocm-smi's documented `--json` layout.
const JSON_OUTPUT = readFileSync(join(ROOT, 'tests', 'fixtures', 'fake-rocm-smi', 'rocm-smi.json'), 'utf8');

describe('rocm-smi JSON', () => {
  it('reads each card into the same sample model as NVIDIA, unavailable values as null', () => {
    const [a, b] = parseRocmSmi(JSON_OUTPUT);
    expect(a).toEqual({
      index: 0,
      uuid: '0x7b2a5c8e1f3d4a60',
      name: 'AMD Instinct MI210',
      vendor: 'amd',
      utilizationPercent: 63,
      memoryUtilizationPercent: 18,
      memoryUsedMiB: 15032385536 / 2 ** 20,
      memoryTotalMiB: 65520,
      temperatureC: 51,
      powerDrawW: 212,
      powerLimitW: 300,
      smClockMHz: 1700,
      smClockMaxMHz: null,
      fanPercent: 31,
      pstate: null,
      throttleReasons: null,
    });
    expect(b).toMatchObject({ index: 1, temperatureC: null, powerDrawW: 41, fanPercent: null, smClockMHz: null });
  });
});

describe('GPUs of every vendor together', () => {
  const source = (available: boolean, reason: string | null): GpuSource => ({
    start: async () => {},
    gpus: () => [],
    gpuStatus: () => ({ available, reason }),
    gpuProcesses: () => [],
    setPeriod: () => {},
    stop: () => {},
  });

  it('says "no GPU" with every vendor’s reason, and is available when any vendor is', () => {
    expect(new AllGpus([source(false, 'nvidia-smi not found'), source(false, 'rocm-smi not found')]).gpuStatus(0)).toEqual({
      available: false,
      reason: 'nvidia-smi not found; rocm-smi not found',
    });
    expect(new AllGpus([source(false, 'nvidia-smi not found'), source(true, null)]).gpuStatus(0)).toEqual({ available: true, reason: null });
  });
});
