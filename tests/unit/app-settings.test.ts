import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAppSettings, saveAppSettings, toggledTheme } from '../../electron/app-settings.js';
import { tempDir } from '../support/studio-fixture.js';

describe('the desktop app settings file', () => {
  it('keeps the theme the user chose across launches', () => {
    const file = join(tempDir('settings'), 'settings.json');
    expect(loadAppSettings(file)).toEqual({ theme: 'system' });
    saveAppSettings(file, { theme: toggledTheme(false) });
    expect(loadAppSettings(file)).toEqual({ theme: 'dark' });
    saveAppSettings(file, { theme: toggledTheme(true) });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ theme: 'light' });
  });

  it('falls back to defaults for a broken file or a value it does not know, keeping what is valid', () => {
    const file = join(tempDir('settings'), 'settings.json');
    writeFileSync(file, '{"theme": ');
    expect(loadAppSettings(file)).toEqual({ theme: 'system' });
    writeFileSync(file, '{"theme": "sepia"}');
    expect(loadAppSettings(file)).toEqual({ theme: 'system' });
    expect(() => saveAppSettings(file, { theme: 'sepia' } as never)).toThrow();
  });
});
