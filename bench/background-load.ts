import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

interface CpuReading {
  wall: number;
  machineBusy: number;
  own: number;
}

/** CPU time in seconds: the whole machine's busy time, and this benchmark's: its process tree's. */
function readCpu(): CpuReading {
  const ticks = 100; // USER_HZ, 100 on every Linux this runs on
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = cpu as [number, number, number, number, number, number, number, number];
  return {
    wall: performance.now() / 1000,
    machineBusy: (user + nice + system + irq + softirq + steal) / ticks,
    own: processTreeTicks(process.pid) / ticks,
  };
}

/** CPU seconds one process has used itself (user + system), not counting its children; null once it is gone. */
export function processCpuSeconds(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return (fields[11]! + fields[12]!) / 100; // USER_HZ
}

/**
 * CPU ticks of a process and all its live descendants (a server it started, that server's
 * trainer), each with its reaped children's: a child that exits moves into its parent's count,
 * so the sum never drops.
 */
function processTreeTicks(root: number): number {
  const processes = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited since the listing
    }
    // The name field may hold spaces, so count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const [utime, stime, cutime, cstime] = fields.slice(11, 15) as [number, number, number, number];
    processes.set(Number(entry), { ppid: fields[1]!, ticks: utime + stime + cutime + cstime });
  }
  const children = new Map<number, number[]>();
  for (const [pid, p] of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  let total = 0;
  const pending = [root];
  while (pending.length) {
    const pid = pending.pop()!;
    total += processes.get(pid)?.ticks ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Cores that processes outside this benchmark kept busy between two readings. */
function otherCores(from: CpuReading, to: CpuReading): number {
  const others = Math.max(0, to.machineBusy - from.machineBusy - (to.own - from.own)) / (to.wall - from.wall);
  return Math.round(others * 100) / 100;
}

/**
 * How busy the machine was with other work while the benchmark ran: the load average when it
 * started, and the CPU that processes outside this benchmark used (machine busy time from
 * /proc/stat less that of this process and its descendants), in cores, over the whole run and
 * over each span the caller marks.
 */
export class BackgroundLoad {
  private readonly start = readCpu();
  private readonly loadAtStart = loadavg();

  constructor(private readonly quietBelowLoad = 1.5, private readonly quietBelowCores = 0.25) {}

  /** Starts a span; call the result when it ends to get the other processes' cores during it. */
  span(): () => number {
    const from = readCpu();
    return () => otherCores(from, readCpu());
  }

  report(): { loadAverageAtStart: number[]; otherProcessesCores: number; quiet: boolean } {
    const others = otherCores(this.start, readCpu());
    return {
      loadAverageAtStart: this.loadAtStart.map((l) => Math.round(l * 100) / 100),
      otherProcessesCores: others,
      quiet: this.loadAtStart[0]! <= this.quietBelowLoad && others <= this.quietBelowCores,
    };
  }
}
