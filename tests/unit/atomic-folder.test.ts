import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderExistsError, removeAbandonedTempFolders, writeFolderAtomically } from '../../trainer/compression/atomic-folder.js';

const files = (text: string) => [{ name: 'a.txt', bytes: Buffer.from(text) }];

describe('atomic folders', () => {
  it('appear whole, and never replace an existing folder, even an empty one', () => {
    const parent = mkdtempSync(join(tmpdir(), 'atomic-'));
    writeFolderAtomically(join(parent, 'x'), files('first'));
    expect(() => writeFolderAtomically(join(parent, 'x'), files('second'))).toThrow(FolderExistsError);
    expect(readFileSync(join(parent, 'x', 'a.txt'), 'utf8')).toBe('first');
    mkdirSync(join(parent, 'empty'));
    expect(() => writeFolderAtomically(join(parent, 'empty'), files('third'))).toThrow(/empty already exists; it is never overwritten/);
    expect(readdirSync(join(parent, 'empty'))).toEqual([]);
    expect(readdirSync(parent).sort()).toEqual(['empty', 'x']);
  });

  it('clear temp folders whose writer is gone, and keep a running writer\'s', () => {
    const parent = mkdtempSync(join(tmpdir(), 'atomic-'));
    mkdirSync(join(parent, '.model.tmp-999999-0badc0de'));
    writeFileSync(join(parent, '.model.tmp-999999-0badc0de', 'weights.bin'), 'half');
    mkdirSync(join(parent, `.other.tmp-${process.pid}-01234567`));
    mkdirSync(join(parent, 'model'));
    expect(removeAbandonedTempFolders(parent, (pid) => pid === process.pid)).toEqual(['.model.tmp-999999-0badc0de']);
    expect(existsSync(join(parent, `.other.tmp-${process.pid}-01234567`))).toBe(true);
    expect(existsSync(join(parent, 'model'))).toBe(true);
  });
});
