import { processCpuSeconds } from './background-load.js';

/**
 * CPU time per training step of each process on one side of a comparison (the trainer, the
 * server, the client), summed over the windows it is asked to watch: where a side's time goes.
 */
export class CpuPerStep {
  private readonly seconds = new Map<string, number>();
  private steps = 0;

  /** Runs `work`, charging each named process's CPU over it to the steps `stepCount` advanced by. */
  async watch<T>(pids: Record<string, number | null>, stepCount: () => number, work: () => Promise<T>): Promise<T> {
    const read = () => Object.entries(pids).map(([name, pid]) => [name, pid === null ? null : processCpuSeconds(pid)] as const);
    const before = read();
    const stepsBefore = stepCount();
    const result = await work();
    const after = read();
    this.steps += stepCount() - stepsBefore;
    before.forEach(([name, from], i) => {
      const to = after[i]![1];
      if (from !== null && to !== null) this.seconds.set(name, (this.seconds.get(name) ?? 0) + to - from);
    });
    return result;
  }

  /** Milliseconds of CPU per step for each process (resolution: 10 ms ticks over all the windows). */
  report(): Record<string, number> & { steps: number } {
    const perStep = Object.fromEntries([...this.seconds].map(([name, s]) => [name, Number(((s * 1000) / Math.max(1, this.steps)).toPrecision(3))]));
    return { ...perStep, steps: this.steps };
  }
}
