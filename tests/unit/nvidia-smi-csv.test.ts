import { describe, expect, it } from 'vitest';
import { chooseQueryFields, fieldsInHelp, numberCell, parseComputeApps, parseGpuLine, parseHeader, throttleReasons } from '../../host/monitor/nvidia-smi-csv.js';

// No NVIDIA GPU on these machines: the lines below are in nvidia-smi's documented CSV format
// (header names with units in brackets, `[N/A]` / `[Not Supported]` cells).
const HEADER =
  'index, uuid, name, utilization.gpu [%], utilization.memory [%], memory.used [MiB], memory.total [MiB], temperature.gpu, power.draw [W], power.limit [W], clocks.sm [MHz], clocks.max.sm [MHz], fan.speed [%], pstate, clocks_throttle_reasons.active';
const LINE = '0, GPU-1111, NVIDIA H100 80GB HBM3, 87, 41, 30512, 81559, 64, 512.43, 700.00, 1980, 1980, [N/A], P0, 0x0000000000000044';
const HELP = 'List of valid properties to query for the switch "--query-gpu=":\n\n"index"\nZero based index.\n\n"name"\n"utilization.gpu"\n"power.draw"\n"clocks_throttle_reasons.active"\n';

describe('nvidia-smi CSV', () => {
  it('queries only the fields the driver lists, preferring new names and falling back to old ones', () => {
    const fields = chooseQueryFields(fieldsInHelp(HELP));
    expect(fields).toEqual({
      index: 'index',
      name: 'name',
      utilizationPercent: 'utilization.gpu',
      powerDrawW: 'power.draw',
      throttleReasons: 'clocks_throttle_reasons.active',
    });
  });

  it('reads a line by the header names, with unavailable values as null (never 0)', () => {
    const header = parseHeader(HEADER);
    const fields = chooseQueryFields(new Set(header));
    expect(parseGpuLine(header, fields, LINE)).toEqual({
      index: 0,
      uuid: 'GPU-1111',
      name: 'NVIDIA H100 80GB HBM3',
      vendor: 'nvidia',
      utilizationPercent: 87,
      memoryUtilizationPercent: 41,
      memoryUsedMiB: 30512,
      memoryTotalMiB: 81559,
      temperatureC: 64,
      powerDrawW: 512.43,
      powerLimitW: 700,
      smClockMHz: 1980,
      smClockMaxMHz: 1980,
      fanPercent: null,
      pstate: 'P0',
      throttleReasons: ['sw_power_cap', 'hw_thermal_slowdown'],
    });
  });

  it('reads columns in whatever order the header gives', () => {
    const header = parseHeader('name, index, utilization.gpu [%]');
    const g = parseGpuLine(header, chooseQueryFields(new Set(header)), 'Tesla T4, 3, 12');
    expect(g).toMatchObject({ index: 3, name: 'Tesla T4', utilizationPercent: 12 });
  });

  it('drops a line cut mid-write and a repeated header', () => {
    const header = parseHeader(HEADER);
    const fields = chooseQueryFields(new Set(header));
    expect(parseGpuLine(header, fields, LINE.slice(0, 30))).toBeNull();
    expect(parseGpuLine(header, fields, HEADER)).toBeNull();
  });

  it.each([['[N/A]'], ['[Not Supported]'], ['N/A'], [''], ['[Unknown Error]']])('%j is not available', (cell) => {
    expect(numberCell(cell)).toBeNull();
  });

  it('decodes throttle reason bitmasks and leaves unreported ones null', () => {
    expect(throttleReasons('0x0000000000000000')).toEqual([]);
    expect(throttleReasons('0x0000000000000001')).toEqual(['gpu_idle']);
    expect(throttleReasons('[Not Supported]')).toBeNull();
  });

  it('reads compute processes', () => {
    expect(parseComputeApps('pid, process_name, used_gpu_memory [MiB], gpu_uuid\n4242, python3, 30210, GPU-1111\n')).toEqual([
      { pid: 4242, name: 'python3', usedMemoryMiB: 30210, gpuUuid: 'GPU-1111' },
    ]);
    expect(parseComputeApps('pid, process_name, used_gpu_memory [MiB], gpu_uuid\n')).toEqual([]);
  });
});
