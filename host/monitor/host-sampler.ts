import type { HardwareSample } from '../../shared/hardware-sample.js';

/** CPU, memory, disk, network and one process's use: everything but the GPUs. */
export type HostReadings = Pick<HardwareSample, 'cpu' | 'memory' | 'disk' | 'network' | 'trainer'>;

export interface HostSampler {
  /** Rates and percentages cover the time since the previous call; the first call reports them as null. */
  sample(trainerPid: number | null): Promise<HostReadings>;
}
