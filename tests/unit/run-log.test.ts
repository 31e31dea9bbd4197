import { appendFileSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_CONFIG } from '../../shared/run-config.js';
import { readRunLog, RunLogError, RunLogWriter } from '../../host/run-log.js';

const step = (n: number) => ({
  type: 'step' as const, time: n, step: n, epoch: 1, epochProgress: n / 100, loss: 1 / n, lr: 0.001, batchSize: 64,
  samplesPerSec: 500, samplesSeen: 64 * n, etaSec: 5,
});

function writeLog(records: number): string {
  const file = join(mkdtempSync(join(tmpdir(), 'runlog-')), 'run.log.jsonl');
  const log = RunLogWriter.create(file, { runId: 'run-x', createdAt: 1, config: DEFAULT_RUN_CONFIG });
  for (let i = 1; i <= records; i++) log.append(step(i));
  log.close();
  return file;
}

describe('run log', () => {
  it('reads back the header and every record', () => {
    const file = writeLog(5);
    const log = readRunLog(file);
    expect(log.header).toMatchObject({ format: 'hpc-studio/run-log', version: 1, runId: 'run-x' });
    expect(log.records.map((r) => r.type === 'step' && r.step)).toEqual([1, 2, 3, 4, 5]);
    expect(log.tornTail).toBe(false);
  });

  it('recovers up to the last complete record when the final write was torn', () => {
    const file = writeLog(5);
    const size = readFileSync(file).length;
    truncateSync(file, size - 20);
    const log = readRunLog(file);
    expect(log.records.map((r) => r.type === 'step' && r.step)).toEqual([1, 2, 3, 4]);
    expect(log.tornTail).toBe(true);
  });

  it('keeps appending after a torn tail without corrupting new records', () => {
    const file = writeLog(3);
    appendFileSync(file, '{"type":"step","ti');
    const log = RunLogWriter.append(file);
    log.append(step(9));
    log.close();
    const read = readRunLog(file);
    expect(read.records.map((r) => r.type === 'step' && r.step)).toEqual([1, 2, 3, 9]);
    expect(read.skippedLines).toBe(1);
  });

  it('refuses a log written by a newer version with a clear message', () => {
    const file = writeLog(1);
    const [header, ...rest] = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, [JSON.stringify({ ...JSON.parse(header!), version: 99 }), ...rest].join('\n'));
    expect(() => readRunLog(file)).toThrow(RunLogError);
    expect(() => readRunLog(file)).toThrow(/version 99 .* newer HPC Studio/);
  });

  it('skips unknown record types from newer minor releases', () => {
    const file = writeLog(2);
    appendFileSync(file, JSON.stringify({ type: 'hologram', time: 1 }) + '\n');
    expect(readRunLog(file).records.length).toBe(2);
  });
});
