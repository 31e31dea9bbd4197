import type { HardwareSample } from '../../shared/hardware-sample.js';
import type { TrainerSupervisor } from '../trainer-supervisor.js';
import type { HardwareMonitor } from './hardware-monitor.js';
import { HintDetector } from './hint-detector.js';

/**
 * Keeps the hardware series with each run: while a run trains, every monitor sample goes into its
 * log as a `hardware` record stamped with the run's latest step, and any hint as a `hint` record.
 */
export class RunHardwareRecorder {
  private step = 0;
  private runId: string | null = null;
  private hints = new HintDetector();

  constructor(
    monitor: HardwareMonitor,
    private readonly supervisor: TrainerSupervisor,
  ) {
    supervisor.onRecord((runId, record) => {
      if (runId !== this.runId) {
        this.runId = runId;
        this.step = 0;
        this.hints = new HintDetector();
      }
      if (record.type === 'step') this.step = record.step;
      if (record.type === 'resume') this.step = record.fromStep;
    });
    monitor.onSample((sample) => this.record(sample));
  }

  private record(sample: HardwareSample): void {
    const runId = this.supervisor.activeRunId;
    if (!runId || runId !== this.runId) return;
    this.supervisor.appendToActive({
      type: 'hardware',
      time: sample.time,
      step: this.step,
      cpuPercent: sample.cpu.totalPercent,
      memoryUsedBytes: sample.memory.usedBytes,
      trainerCpuPercent: sample.trainer?.cpuPercent ?? null,
      trainerRssBytes: sample.trainer?.rssBytes ?? null,
      gpus: sample.gpus.map((g) => ({
        index: g.index,
        utilizationPercent: g.utilizationPercent,
        memoryUsedMiB: g.memoryUsedMiB,
        memoryTotalMiB: g.memoryTotalMiB,
        powerDrawW: g.powerDrawW,
      })),
    });
    for (const hint of this.hints.observe(sample)) {
      this.supervisor.appendToActive({ type: 'hint', time: sample.time, step: this.step, ...hint });
    }
  }
}
