import type { HardwarePoint, RunLogHeader, RunMeta, RunRecord, RunStatus, RunSummary } from '../shared/run-record.js';

export interface SummaryContext {
  meta: RunMeta;
  /** A live process holds this run's lock right now. */
  active: boolean;
  resumable: boolean;
  tornTail: boolean;
  updatedAt: number;
}

/** Samples further apart than this are a gap (paused, app closed): no energy is assumed across it. */
const MAX_INTEGRATION_GAP_MS = 5000;

/** GPU energy by the trapezoid rule over the summed power of every GPU with a power reading. */
class EnergyMeter {
  joules = 0;
  readable = false;
  private last: { time: number; watts: number } | null = null;

  add(time: number, gpus: HardwarePoint['gpus']): void {
    const readings = gpus.map((g) => g.powerDrawW).filter((w): w is number => w !== null);
    if (readings.length === 0) {
      this.last = null;
      return;
    }
    const watts = readings.reduce((a, b) => a + b, 0);
    if (this.last && time - this.last.time <= MAX_INTEGRATION_GAP_MS && time > this.last.time) {
      this.joules += ((this.last.watts + watts) / 2) * ((time - this.last.time) / 1000);
      this.readable = true;
    }
    this.last = { time, watts };
  }
}

export const INTERRUPTED_REASON = 'interrupted: the app or CLI running it exited before the run ended';

/** Folds a run's records into the row the run list shows. */
export function summarizeRun(header: RunLogHeader, records: readonly RunRecord[], ctx: SummaryContext): RunSummary {
  const summary: RunSummary = {
    id: header.runId,
    createdAt: header.createdAt,
    updatedAt: ctx.updatedAt,
    config: header.config,
    status: 'running',
    step: 0,
    epoch: 0,
    resumable: ctx.resumable,
    tornTail: ctx.tornTail,
    hints: 0,
    meta: ctx.meta,
  };
  let status: RunStatus | undefined;
  let bestValLoss = Infinity;
  const energy = new EnergyMeter();
  for (const r of records) {
    switch (r.type) {
      case 'status':
        status = r.status;
        summary.reason = r.reason;
        break;
      case 'ready':
        summary.backend = r.backend.name;
        break;
      case 'step':
        summary.step = r.step;
        summary.epoch = r.epoch;
        break;
      case 'epoch':
        summary.valLoss = r.valLoss;
        summary.valAccuracy = r.valAccuracy;
        if (r.valLoss < bestValLoss) {
          bestValLoss = r.valLoss;
          summary.bestEpoch = r.epoch;
        }
        break;
      case 'early-stop':
        summary.stoppedEarly = true;
        break;
      case 'done':
        summary.testLoss = r.testLoss;
        summary.testAccuracy = r.testAccuracy;
        break;
      case 'hint':
        summary.hints++;
        break;
      case 'hardware':
        energy.add(r.time, r.gpus);
        if (r.trainerRssBytes !== null) summary.peakTrainerRssBytes = Math.max(summary.peakTrainerRssBytes ?? 0, r.trainerRssBytes);
        break;
      case 'memory':
        summary.tensors = {
          numTensors: r.numTensors,
          numBytes: r.numBytes,
          peakStepBytes: Math.max(summary.tensors?.peakStepBytes ?? 0, r.peakStepBytes),
        };
        break;
    }
  }
  if (energy.readable) summary.energyJ = energy.joules;
  const live = status === undefined || status === 'running' || status === 'paused';
  if (live && !ctx.active) {
    summary.status = 'failed';
    summary.reason = INTERRUPTED_REASON;
  } else {
    summary.status = status ?? 'running';
  }
  return summary;
}
