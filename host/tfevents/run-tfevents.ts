import type { RunSeries } from '../../shared/run-series.js';
import { encodeEvent, type ScalarValue } from './event-proto.js';
import { tfrecord } from './tfrecord.js';

export const TFEVENTS_FILE_VERSION = 'brain.Event:2';

/** TensorBoard finds event files by this name: `events.out.tfevents.<unix seconds>.<host>`. */
export function tfeventsFileName(nowMs: number, hostName: string): string {
  return `events.out.tfevents.${Math.floor(nowMs / 1000)}.${hostName.replace(/[^A-Za-z0-9._-]/g, '_') || 'localhost'}`;
}

interface ScalarEvent {
  time: number;
  step: number;
  values: ScalarValue[];
}

/** A run's series as a TensorBoard event file: the file-version event, then one event per record, by step. */
export function runTfevents(series: RunSeries): Buffer {
  const events = scalarEvents(series);
  const records = [tfrecord(encodeEvent(series.startTime / 1000, 0, { fileVersion: TFEVENTS_FILE_VERSION }))];
  for (const e of events) records.push(tfrecord(encodeEvent(e.time / 1000, e.step, { values: e.values })));
  return Buffer.concat(records);
}

/** Tags and values per event, ordered by step: readers treat a step going back as a restart and may drop what came before. */
export function scalarEvents(series: RunSeries): ScalarEvent[] {
  const events: ScalarEvent[] = [];
  const add = (time: number, step: number, pairs: [string, number | null][]) => {
    const values = pairs.filter((p): p is [string, number] => p[1] !== null).map(([tag, value]) => ({ tag, value }));
    if (values.length > 0) events.push({ time, step, values });
  };
  for (const r of series.steps) {
    add(r.time, r.step, [['train/loss', r.loss], ['train/accuracy', r.accuracy], ['lr', r.lr], ['batch_size', r.batchSize], ['samples_per_sec', r.samplesPerSec]]);
  }
  for (const r of series.epochs) add(r.time, r.step, [['val/loss', r.valLoss], ['val/accuracy', r.valAccuracy]]);
  for (const r of series.hardware) {
    add(r.time, r.step, [
      ['hardware/cpu_percent', r.cpuPercent],
      ['hardware/memory_used_bytes', r.memoryUsedBytes],
      ['hardware/trainer_cpu_percent', r.trainerCpuPercent],
      ['hardware/trainer_rss_bytes', r.trainerRssBytes],
      ...r.gpus.flatMap((g): [string, number | null][] => [
        [`hardware/gpu${g.index}/utilization_percent`, g.utilizationPercent],
        [`hardware/gpu${g.index}/memory_used_mib`, g.memoryUsedMiB],
        [`hardware/gpu${g.index}/power_w`, g.powerDrawW],
      ]),
    ]);
  }
  if (series.test) add(series.test.time, series.test.step, [['test/loss', series.test.testLoss], ['test/accuracy', series.test.testAccuracy]]);
  return events.sort((a, b) => a.step - b.step || a.time - b.time);
}
