import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../host/ssh/shell-quote.js';

describe('shell quoting for commands run on a node', () => {
  it('wraps in single quotes and escapes only the quote', () => {
    expect(shellQuote('plain')).toBe(`'plain'`);
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe(`''`);
    expect(() => shellQuote('a\0b')).toThrow('NUL');
  });

  it('hands a real sh every argument back unchanged, whatever it contains', () => {
    const nasty = [`it's`, '$(id)', '`id`', 'a b\tc', 'line\nbreak', '\\', '*', '~', ';rm -rf x', "''", '$HOME', '!', '"q"', 'ünï'];
    const out = execFileSync('/bin/sh', ['-c', shellCommand(['printf', '%s\\0', ...nasty])], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(nasty);
  });
});
