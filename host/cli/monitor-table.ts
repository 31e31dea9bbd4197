import type { GpuSample, HardwareSample } from '../../shared/hardware-sample.js';

const GiB = 2 ** 30;
const MB = 1e6;

const fixed = (v: number | null, digits = 1, unit = '') => (v === null ? 'n/a' : `${v.toFixed(digits)}${unit}`);
const ratio = (used: number | null, total: number | null, scale: number, unit: string) =>
  `${used === null ? 'n/a' : (used / scale).toFixed(1)}/${total === null ? 'n/a' : (total / scale).toFixed(1)} ${unit}`;

function gpuLine(g: GpuSample): string {
  const throttle = g.throttleReasons === null ? 'n/a' : g.throttleReasons.filter((r) => r !== 'gpu_idle').join(',') || 'none';
  return [
    `GPU ${g.index}  ${g.name}`,
    `util ${fixed(g.utilizationPercent, 0, ' %')}`,
    `mem ${ratio(g.memoryUsedMiB, g.memoryTotalMiB, 1, 'MiB')}`,
    `${fixed(g.temperatureC, 0, ' °C')}`,
    `power ${fixed(g.powerDrawW, 0)}/${fixed(g.powerLimitW, 0, ' W')}`,
    `SM ${fixed(g.smClockMHz, 0, ' MHz')}`,
    `fan ${fixed(g.fanPercent, 0, ' %')}`,
    `throttle ${throttle}`,
  ].join('  ');
}

/** The compact text view of one sample (the `monitor` command's table). */
export function formatSample(s: HardwareSample, hz: number): string[] {
  const cores = s.cpu.perCorePercent.map((c) => fixed(c, 0)).join(' ');
  const lines = [
    `HPC Studio monitor · ${hz.toFixed(1)} Hz · ${new Date(s.time).toLocaleTimeString()}`,
    `CPU  ${fixed(s.cpu.totalPercent, 1, ' %').padStart(7)}  cores [${cores}]   RAM ${ratio(s.memory.usedBytes, s.memory.totalBytes, GiB, 'GiB')}  swap ${ratio(s.memory.swapUsedBytes, s.memory.swapTotalBytes, GiB, 'GiB')}`,
    `disk read ${fixed(s.disk.readBytesPerSec && s.disk.readBytesPerSec / MB, 2, ' MB/s')}  write ${fixed(s.disk.writeBytesPerSec && s.disk.writeBytesPerSec / MB, 2, ' MB/s')}   net rx ${fixed(s.network.readBytesPerSec && s.network.readBytesPerSec / MB, 2, ' MB/s')}  tx ${fixed(s.network.writeBytesPerSec && s.network.writeBytesPerSec / MB, 2, ' MB/s')}`,
  ];
  if (s.gpus.length === 0) lines.push(`GPU  no GPU detected: ${s.gpuStatus.reason ?? 'unknown reason'}`);
  for (const g of s.gpus) lines.push(gpuLine(g));
  for (const p of s.gpuProcesses) lines.push(`  pid ${p.pid}  ${p.name}  ${fixed(p.usedMemoryMiB, 0, ' MiB')}`);
  return lines;
}
