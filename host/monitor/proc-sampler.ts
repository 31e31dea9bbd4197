import { join } from 'node:path';
import type { HostReadings, HostSampler } from './host-sampler.js';
import { ProcFile } from './proc-file.js';

/** Whole block devices (partitions and device-mapper volumes would count the same bytes twice). */
const WHOLE_DISK = /^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+|nvme\d+n\d+|mmcblk\d+)$/;
/** Linux reports process CPU time in clock ticks of 1/100 s on every architecture it runs on here. */
const CLOCK_TICKS_PER_SEC = 100;
const MEMINFO = /^(MemTotal|MemAvailable|SwapTotal|SwapFree):\s+(\d+) kB/gm;
const VM_RSS = /^VmRSS:\s+(\d+) kB/m;

interface Counters {
  at: number;
  cpu: { busy: number; total: number }[];
  diskRead: number;
  diskWrite: number;
  netRx: number;
  netTx: number;
  process: { pid: number; ticks: number } | null;
}

/**
 * Linux host readings straight from /proc: a few small in-memory files, no child processes, so
 * it is cheap at 20 Hz (systeminformation spawns shells for some of these and caches for 500 ms).
 */
export class ProcSampler implements HostSampler {
  private previous: Counters | null = null;
  private readonly files = new Map<string, ProcFile>();

  constructor(
    private readonly proc = '/proc',
    private readonly now: () => number = () => performance.now(),
  ) {}

  async sample(trainerPid: number | null): Promise<HostReadings> {
    const at = this.now();
    const cpu = this.cpuTimes();
    const [diskRead, diskWrite] = this.diskBytes();
    const [netRx, netTx] = this.networkBytes();
    const process = trainerPid === null ? null : this.processTicks(trainerPid);
    const current: Counters = { at, cpu, diskRead, diskWrite, netRx, netTx, process };
    const prev = this.previous;
    this.previous = current;
    const seconds = prev ? (at - prev.at) / 1000 : 0;
    const rate = (now: number, before: number | undefined) => (prev && seconds > 0 && before !== undefined ? Math.max(0, (now - before) / seconds) : null);
    const percent = (i: number) => {
      const a = prev?.cpu[i];
      const b = cpu[i]!;
      if (!a || b.total <= a.total) return null;
      return (100 * (b.busy - a.busy)) / (b.total - a.total);
    };
    const memory = this.memory();
    return {
      cpu: { totalPercent: percent(0), perCorePercent: cpu.slice(1).map((_, i) => percent(i + 1)) },
      memory,
      disk: { readBytesPerSec: rate(diskRead, prev?.diskRead), writeBytesPerSec: rate(diskWrite, prev?.diskWrite) },
      network: { readBytesPerSec: rate(netRx, prev?.netRx), writeBytesPerSec: rate(netTx, prev?.netTx) },
      trainer:
        trainerPid === null
          ? null
          : {
              pid: trainerPid,
              cpuPercent:
                process && prev?.process?.pid === trainerPid && seconds > 0
                  ? (100 * (process.ticks - prev.process.ticks)) / CLOCK_TICKS_PER_SEC / seconds
                  : null,
              rssBytes: this.rss(trainerPid),
            },
    };
  }

  private read(...path: string[]): string | null {
    const key = join(this.proc, ...path);
    let file = this.files.get(key);
    if (!file) {
      // A new trainer means new /proc/<pid> files; the old ones are closed with it.
      if (path.length === 2 && /^\d+$/.test(path[0]!)) this.forgetProcesses();
      this.files.set(key, (file = new ProcFile(key)));
    }
    return file.read();
  }

  private forgetProcesses(): void {
    for (const [key, file] of this.files) {
      if (/\/\d+\/[^/]+$/.test(key)) {
        file.close();
        this.files.delete(key);
      }
    }
  }

  /** The `cpu` line first, then `cpu0`, `cpu1`, … */
  private cpuTimes(): { busy: number; total: number }[] {
    const text = this.read('stat') ?? '';
    return text
      .split('\n')
      .filter((l) => /^cpu\d*\s/.test(l))
      .map((l) => {
        const v = l.trim().split(/\s+/).slice(1, 9).map(Number);
        const total = v.reduce((a, b) => a + b, 0);
        const idle = (v[3] ?? 0) + (v[4] ?? 0);
        return { busy: total - idle, total };
      });
  }

  private memory(): HostReadings['memory'] {
    const values: Record<string, number> = {};
    for (const m of (this.read('meminfo') ?? '').matchAll(MEMINFO)) values[m[1]!] = Number(m[2]) * 1024;
    const total = values.MemTotal ?? null;
    const available = values.MemAvailable ?? null;
    const swapTotal = values.SwapTotal ?? null;
    const swapFree = values.SwapFree ?? null;
    return {
      totalBytes: total,
      availableBytes: available,
      usedBytes: total !== null && available !== null ? total - available : null,
      swapTotalBytes: swapTotal,
      swapUsedBytes: swapTotal !== null && swapFree !== null ? swapTotal - swapFree : null,
    };
  }

  private diskBytes(): [number, number] {
    let read = 0;
    let written = 0;
    for (const line of (this.read('diskstats') ?? '').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !WHOLE_DISK.test(f[2]!)) continue;
      read += Number(f[5]) * 512;
      written += Number(f[9]) * 512;
    }
    return [read, written];
  }

  private networkBytes(): [number, number] {
    let rx = 0;
    let tx = 0;
    for (const line of (this.read('net', 'dev') ?? '').split('\n').slice(2)) {
      const [name, rest] = line.split(':');
      if (!rest || name!.trim() === 'lo') continue;
      const f = rest.trim().split(/\s+/).map(Number);
      rx += f[0] ?? 0;
      tx += f[8] ?? 0;
    }
    return [rx, tx];
  }

  private processTicks(pid: number): { pid: number; ticks: number } | null {
    const text = this.read(String(pid), 'stat');
    if (!text) return null;
    // Fields after the command name, which may itself contain spaces and parentheses.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, ticks: Number(f[11]) + Number(f[12]) };
  }

  private rss(pid: number): number | null {
    const m = VM_RSS.exec(this.read(String(pid), 'status') ?? '');
    return m ? Number(m[1]) * 1024 : null;
  }
}
