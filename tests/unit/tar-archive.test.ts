import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tarArchive } from '../../host/tar-archive.js';

describe('a model folder as a tar download', () => {
  it('is read back byte for byte by the system tar, sizes and times included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-'));
    const weights = Uint8Array.from({ length: 1300 }, (_, i) => (i * 31) % 256);
    const manifest = Buffer.from('{"format":"hpc-model"}\n');
    const mtimeMs = Date.UTC(2026, 10, 25, 3, 0, 0);
    writeFileSync(join(dir, 'model.tar'), tarArchive([
      { path: 'run-x.int8/model.json', bytes: manifest, mtimeMs },
      { path: 'run-x.int8/weights.bin', bytes: weights, mtimeMs },
    ]));
    expect(execFileSync('tar', ['-tf', 'model.tar'], { cwd: dir, encoding: 'utf8' }).trim().split('\n')).toEqual(['run-x.int8/model.json', 'run-x.int8/weights.bin']);
    execFileSync('tar', ['-xf', 'model.tar'], { cwd: dir });
    expect(new Uint8Array(readFileSync(join(dir, 'run-x.int8', 'weights.bin')))).toEqual(weights);
    expect(readFileSync(join(dir, 'run-x.int8', 'model.json'))).toEqual(manifest);
    expect(statSync(join(dir, 'run-x.int8', 'weights.bin')).mtimeMs).toBe(mtimeMs);
  });

  it('refuses a path that would land outside the folder it is opened in', () => {
    expect(() => tarArchive([{ path: '../evil', bytes: new Uint8Array(1), mtimeMs: 0 }])).toThrow(/not a plain relative path/);
    expect(() => tarArchive([{ path: '/etc/passwd', bytes: new Uint8Array(1), mtimeMs: 0 }])).toThrow(/not a plain relative path/);
  });
});
