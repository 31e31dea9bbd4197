import si from 'systeminformation';
import type { HostReadings, HostSampler } from './host-sampler.js';

/** macOS and Windows, where there is no /proc: systeminformation's cheap calls, at most a few hertz. */
export class SystemInformationSampler implements HostSampler {
  async sample(trainerPid: number | null): Promise<HostReadings> {
    const [load, mem, disk, net] = await Promise.all([si.currentLoad(), si.mem(), si.fsStats().catch(() => null), si.networkStats().catch(() => [])]);
    const rx = net.reduce((a, n) => a + (n.rx_sec ?? 0), 0);
    const tx = net.reduce((a, n) => a + (n.tx_sec ?? 0), 0);
    return {
      cpu: { totalPercent: load.currentLoad, perCorePercent: load.cpus.map((c) => c.load) },
      memory: {
        totalBytes: mem.total,
        usedBytes: mem.total - mem.available,
        availableBytes: mem.available,
        swapTotalBytes: mem.swaptotal,
        swapUsedBytes: mem.swapused,
      },
      disk: { readBytesPerSec: disk?.rx_sec ?? null, writeBytesPerSec: disk?.wx_sec ?? null },
      network: { readBytesPerSec: net.length ? rx : null, writeBytesPerSec: net.length ? tx : null },
      trainer: trainerPid === null ? null : { pid: trainerPid, cpuPercent: null, rssBytes: null },
    };
  }
}
