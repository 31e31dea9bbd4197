import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirLock } from '../../host/run-lock.js';

const dir = () => mkdtempSync(join(tmpdir(), 'lock-'));

describe('data directory lock', () => {
  it('refuses a second run, naming the one training', () => {
    const d = dir();
    new DataDirLock(d, 111, () => true).acquire('run-a');
    expect(() => new DataDirLock(d, 222, () => true).acquire('run-b')).toThrow(/run run-a is already training .*pid 111/);
  });

  it('takes over a lock whose owner died', () => {
    const d = dir();
    new DataDirLock(d, 111, () => true).acquire('run-a');
    const lock = new DataDirLock(d, 222, (pid) => pid !== 111);
    lock.acquire('run-b');
    expect(lock.holder()?.runId).toBe('run-b');
  });

  it('releases only its own run', () => {
    const d = dir();
    const lock = new DataDirLock(d, 111, () => true);
    lock.acquire('run-a');
    lock.release('run-other');
    expect(existsSync(join(d, 'training.lock'))).toBe(true);
    lock.release('run-a');
    expect(existsSync(join(d, 'training.lock'))).toBe(false);
  });

  it('treats a lock file that is being written as held', () => {
    const d = dir();
    writeFileSync(join(d, 'training.lock'), '');
    expect(() => new DataDirLock(d, 222, () => true).acquire('run-b')).toThrow(/training lock/);
  });
});
