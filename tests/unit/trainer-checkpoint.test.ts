import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_CONFIG } from '../../shared/run-config.js';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from '../../trainer/checkpoint.js';
import { freshPosition } from '../../trainer/training-loop.js';

const checkpoint = (step: number): Checkpoint => ({
  runId: 'run-x',
  config: DEFAULT_RUN_CONFIG,
  position: { ...freshPosition(DEFAULT_RUN_CONFIG), step, epochOffset: 640 },
  optimizerUpdates: step,
  tensors: [
    { name: 'dense/kernel', shape: [2, 3], values: Float32Array.of(1, 2, 3, 4, 5, 6) },
    { name: 'slot:m/0', shape: [2, 3], values: Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6) },
  ],
});

describe('checkpoints', () => {
  it('round-trip exactly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    writeCheckpoint(dir, checkpoint(10));
    expect(readCheckpoint(dir)).toEqual(checkpoint(10));
  });

  it('replace the previous one whole, and ignore a temp file left by a crash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    writeCheckpoint(dir, checkpoint(10));
    writeFileSync(join(dir, '.latest.ckpt.999.tmp'), 'half a checkpoint');
    writeCheckpoint(dir, checkpoint(20));
    expect(readCheckpoint(dir)?.position.step).toBe(20);
    expect(readdirSync(dir)).toEqual(['latest.ckpt']);
  });

  it('refuse a truncated file with a clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    const file = writeCheckpoint(dir, checkpoint(10));
    writeFileSync(file, readFileSync(file).subarray(0, -8));
    expect(() => readCheckpoint(dir)).toThrow(/truncated/);
  });

  it('create their folder when it is missing', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ckpt-')), 'run-x', 'checkpoints');
    expect(writeCheckpoint(dir, checkpoint(3))).toBe(join(dir, 'latest.ckpt'));
    expect(readCheckpoint(dir)?.position.step).toBe(3);
  });

  it('refuse a file of another kind, or from a newer format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    const file = writeCheckpoint(dir, checkpoint(10));
    const bytes = readFileSync(file);
    bytes.writeUInt32LE(99, 8);
    writeFileSync(file, bytes);
    expect(() => readCheckpoint(dir)).toThrow(/format 99, newer than this release reads \(1\)/);
    writeFileSync(file, 'not a checkpoint at all');
    expect(() => readCheckpoint(dir)).toThrow(/is not an HPC Studio checkpoint/);
  });

  it('are absent for a run that never saved one', () => {
    expect(readCheckpoint(mkdtempSync(join(tmpdir(), 'ckpt-')))).toBeNull();
  });
});
