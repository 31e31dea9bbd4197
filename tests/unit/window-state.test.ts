import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restoreWindowState, saveWindowState } from '../../electron/window-state.js';
import { tempDir } from '../support/studio-fixture.js';

const MINIMUM = { width: 960, height: 600 };
const LAPTOP = { x: 0, y: 0, width: 1920, height: 1080 };
const RIGHT_MONITOR = { x: 1920, y: 0, width: 2560, height: 1440 };

describe('the desktop window comes back where the user left it', () => {
  it('restores size, place and maximised state from the last close', () => {
    const file = join(tempDir('window'), 'window-state.json');
    saveWindowState(file, { bounds: { x: 2100, y: 80, width: 1600, height: 1000 }, maximized: true });
    expect(restoreWindowState(file, [LAPTOP, RIGHT_MONITOR], MINIMUM)).toEqual({ bounds: { x: 2100, y: 80, width: 1600, height: 1000 }, maximized: true });
  });

  it('opens at the default place when the monitor it was on is gone (its title bar would be off-screen)', () => {
    const file = join(tempDir('window'), 'window-state.json');
    saveWindowState(file, { bounds: { x: 2100, y: 80, width: 1600, height: 1000 }, maximized: false });
    expect(restoreWindowState(file, [LAPTOP], MINIMUM)).toBeNull();
    saveWindowState(file, { bounds: { x: 100, y: -200, width: 1200, height: 800 }, maximized: false });
    expect(restoreWindowState(file, [LAPTOP], MINIMUM)).toBeNull();
  });

  it('raises a size below the minimum, and ignores a missing, unreadable or wrongly shaped file', () => {
    const dir = tempDir('window');
    const file = join(dir, 'window-state.json');
    expect(restoreWindowState(file, [LAPTOP], MINIMUM)).toBeNull();
    writeFileSync(file, '{"bounds": {"x": 10');
    expect(restoreWindowState(file, [LAPTOP], MINIMUM)).toBeNull();
    writeFileSync(file, JSON.stringify({ bounds: { x: 10, y: 10, width: 'wide', height: 700 }, maximized: false }));
    expect(restoreWindowState(file, [LAPTOP], MINIMUM)).toBeNull();
    saveWindowState(file, { bounds: { x: 10.4, y: 9.6, width: 300, height: 200 }, maximized: false });
    expect(restoreWindowState(file, [LAPTOP], MINIMUM)?.bounds).toEqual({ x: 10, y: 10, width: 960, height: 600 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ bounds: { x: 10, y: 10, width: 300, height: 200 }, maximized: false });
  });
});
