import type { GpuProcess, GpuSample } from '../../shared/hardware-sample.js';

/** What the monitor asks nvidia-smi for, best name first where drivers renamed a field. */
export const GPU_FIELDS = {
  index: ['index'],
  uuid: ['uuid'],
  name: ['name'],
  utilizationPercent: ['utilization.gpu'],
  memoryUtilizationPercent: ['utilization.memory'],
  memoryUsedMiB: ['memory.used'],
  memoryTotalMiB: ['memory.total'],
  temperatureC: ['temperature.gpu'],
  powerDrawW: ['power.draw.instant', 'power.draw'],
  powerLimitW: ['power.limit', 'enforced.power.limit'],
  smClockMHz: ['clocks.sm', 'clocks.current.sm'],
  smClockMaxMHz: ['clocks.max.sm', 'clocks.max.graphics'],
  fanPercent: ['fan.speed'],
  pstate: ['pstate'],
  throttleReasons: ['clocks_event_reasons.active', 'clocks_throttle_reasons.active'],
} as const;

export type GpuField = keyof typeof GPU_FIELDS;

/** Every field name `nvidia-smi --help-query-gpu` lists (they appear in double quotes). */
export function fieldsInHelp(help: string): Set<string> {
  return new Set([...help.matchAll(/"([a-z0-9_.]+)"/g)].map((m) => m[1]!));
}

/** For each wanted value, the first name this driver knows; a whole query fails if one name is unknown. */
export function chooseQueryFields(known: Set<string>): Partial<Record<GpuField, string>> {
  const chosen: Partial<Record<GpuField, string>> = {};
  for (const [key, names] of Object.entries(GPU_FIELDS) as [GpuField, readonly string[]][]) {
    const name = names.find((n) => known.has(n));
    if (name) chosen[key] = name;
  }
  return chosen;
}

/** `memory.used [MiB]` → `memory.used`: the header names columns by the query's own names. */
export function parseHeader(line: string): string[] {
  return line.split(',').map((h) => h.trim().replace(/\s*\[[^\]]*\]$/, ''));
}

const UNAVAILABLE = /^\[?(N\/A|Not Supported|Unknown Error|Insufficient Permissions|GPU is lost|Requested functionality has been deprecated)\]?$/i;

/** A numeric cell, or null for every way nvidia-smi says "not available". Units are tolerated. */
export function numberCell(cell: string | undefined): number | null {
  if (cell === undefined) return null;
  const text = cell.trim();
  if (text === '' || UNAVAILABLE.test(text)) return null;
  const value = Number.parseFloat(text);
  return Number.isFinite(value) ? value : null;
}

function textCell(cell: string | undefined): string | null {
  const text = cell?.trim();
  return text === undefined || text === '' || UNAVAILABLE.test(text) ? null : text;
}

/** NVML's clock event reason bits, as nvidia-smi prints them in the `.active` bitmask. */
const THROTTLE_BITS: [number, string][] = [
  [0x1, 'gpu_idle'],
  [0x2, 'applications_clocks_setting'],
  [0x4, 'sw_power_cap'],
  [0x8, 'hw_slowdown'],
  [0x10, 'sync_boost'],
  [0x20, 'sw_thermal_slowdown'],
  [0x40, 'hw_thermal_slowdown'],
  [0x80, 'hw_power_brake_slowdown'],
  [0x100, 'display_clock_setting'],
];

export function throttleReasons(cell: string | undefined): string[] | null {
  const text = textCell(cell);
  if (text === null || !/^0x[0-9a-f]+$/i.test(text)) return null;
  const mask = Number.parseInt(text, 16);
  return THROTTLE_BITS.filter(([bit]) => (mask & bit) !== 0).map(([, name]) => name);
}

/**
 * One GPU line of a `--query-gpu` CSV stream, read by the header's column names, never by
 * position. Returns null for a line that does not have the header's column count (cut mid-write).
 */
export function parseGpuLine(header: string[], fields: Partial<Record<GpuField, string>>, line: string): GpuSample | null {
  const cells = line.split(',').map((c) => c.trim());
  if (cells.length !== header.length) return null;
  const cell = (key: GpuField) => {
    const name = fields[key];
    return name === undefined ? undefined : cells[header.indexOf(name)];
  };
  const index = numberCell(cell('index'));
  if (index === null) return null;
  return {
    index,
    uuid: textCell(cell('uuid')),
    name: textCell(cell('name')) ?? `GPU ${index}`,
    vendor: 'nvidia',
    utilizationPercent: numberCell(cell('utilizationPercent')),
    memoryUtilizationPercent: numberCell(cell('memoryUtilizationPercent')),
    memoryUsedMiB: numberCell(cell('memoryUsedMiB')),
    memoryTotalMiB: numberCell(cell('memoryTotalMiB')),
    temperatureC: numberCell(cell('temperatureC')),
    powerDrawW: numberCell(cell('powerDrawW')),
    powerLimitW: numberCell(cell('powerLimitW')),
    smClockMHz: numberCell(cell('smClockMHz')),
    smClockMaxMHz: numberCell(cell('smClockMaxMHz')),
    fanPercent: numberCell(cell('fanPercent')),
    pstate: textCell(cell('pstate')),
    throttleReasons: throttleReasons(cell('throttleReasons')),
  };
}

/** `--query-compute-apps=pid,process_name,used_memory,gpu_uuid --format=csv,nounits`. */
export function parseComputeApps(csv: string): GpuProcess[] {
  const [headerLine, ...lines] = csv.split('\n').filter((l) => l.trim() !== '');
  if (!headerLine) return [];
  const header = parseHeader(headerLine);
  const at = (cells: string[], name: string) => cells[header.indexOf(name)];
  return lines.flatMap((line) => {
    const cells = line.split(',').map((c) => c.trim());
    const pid = numberCell(at(cells, 'pid'));
    if (cells.length !== header.length || pid === null) return [];
    return [{ pid, name: at(cells, 'process_name') ?? '', usedMemoryMiB: numberCell(at(cells, 'used_gpu_memory') ?? at(cells, 'used_memory')), gpuUuid: textCell(at(cells, 'gpu_uuid')) }];
  });
}
