import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { appMenuTemplate, type AppMenuActions, type AppMenuState } from '../../electron/app-menu.js';

// Electron cannot be launched on these machines: the template is checked as Menu.buildFromTemplate would receive it.

function actions(): AppMenuActions {
  return {
    newRun: vi.fn(),
    startRun: vi.fn(),
    pauseOrResumeRun: vi.fn(),
    stopRun: vi.fn(),
    importRun: vi.fn(),
    openDataFolder: vi.fn(),
    toggleDarkMode: vi.fn(),
    openLogFile: vi.fn(),
    showLogsFolder: vi.fn(),
  };
}

const IDLE: AppMenuState = { activeRun: null, dark: false, developer: false };

function items(template: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.flatMap((m) => [m, ...items(Array.isArray(m.submenu) ? m.submenu : [])]);
}

function find(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions {
  const found = items(template).find((i) => i.label === label);
  if (!found) throw new Error(`no menu item ${label}`);
  return found;
}

function click(item: MenuItemConstructorOptions): void {
  (item.click as () => void)();
}

describe('the native menu', () => {
  it('has the usual shortcuts for runs, the data folder, dark mode and reload', () => {
    const menu = appMenuTemplate(actions(), IDLE, 'linux');
    expect(find(menu, 'New Run…').accelerator).toBe('CmdOrCtrl+N');
    expect(find(menu, 'Start Run').accelerator).toBe('CmdOrCtrl+Enter');
    expect(find(menu, 'Pause Run').accelerator).toBe('CmdOrCtrl+Shift+P');
    expect(find(menu, 'Stop Run').accelerator).toBe('CmdOrCtrl+.');
    expect(find(menu, 'Import Run…').accelerator).toBe('CmdOrCtrl+O');
    expect(find(menu, 'Open Data Folder').accelerator).toBe('CmdOrCtrl+Shift+O');
    expect(find(menu, 'Dark Mode').accelerator).toBe('CmdOrCtrl+Shift+D');
    expect(items(menu).map((i) => i.role)).toEqual(expect.arrayContaining(['reload', 'editMenu', 'windowMenu', 'quit', 'togglefullscreen']));
  });

  it('starts a run when idle; pauses, resumes and stops only while one trains', () => {
    const idle = appMenuTemplate(actions(), IDLE, 'linux');
    expect(find(idle, 'Start Run').enabled).toBe(true);
    expect(find(idle, 'Stop Run').enabled).toBe(false);
    expect(find(idle, 'Pause Run').enabled).toBe(false);

    const training = appMenuTemplate(actions(), { ...IDLE, activeRun: { id: 'run-1', paused: false } }, 'linux');
    expect(find(training, 'Start Run').enabled).toBe(false);
    expect(find(training, 'Stop Run').enabled).toBe(true);
    expect(find(training, 'Pause Run').enabled).toBe(true);

    const paused = appMenuTemplate(actions(), { ...IDLE, activeRun: { id: 'run-1', paused: true } }, 'linux');
    expect(find(paused, 'Resume Run').enabled).toBe(true);
  });

  it('calls the action each item names', () => {
    const a = actions();
    const menu = appMenuTemplate(a, { ...IDLE, activeRun: { id: 'run-1', paused: false } }, 'linux');
    for (const [label, action] of [
      ['New Run…', a.newRun],
      ['Start Run', a.startRun],
      ['Pause Run', a.pauseOrResumeRun],
      ['Stop Run', a.stopRun],
      ['Import Run…', a.importRun],
      ['Open Data Folder', a.openDataFolder],
      ['Dark Mode', a.toggleDarkMode],
      ['Open Log File', a.openLogFile],
      ['Show Logs Folder', a.showLogsFolder],
    ] as const) {
      click(find(menu, label));
      expect(action, label).toHaveBeenCalledOnce();
    }
  });

  it('ticks Dark Mode when the app shows dark', () => {
    expect(find(appMenuTemplate(actions(), { ...IDLE, dark: true }, 'linux'), 'Dark Mode').checked).toBe(true);
    expect(find(appMenuTemplate(actions(), IDLE, 'linux'), 'Dark Mode').checked).toBe(false);
  });

  it('puts the app menu first on macOS and offers developer tools only in a development build', () => {
    expect(appMenuTemplate(actions(), IDLE, 'darwin')[0]!.role).toBe('appMenu');
    expect(appMenuTemplate(actions(), IDLE, 'win32')[0]!.label).toBe('&File');
    expect(items(appMenuTemplate(actions(), IDLE, 'linux')).some((i) => i.role === 'toggleDevTools')).toBe(false);
    expect(items(appMenuTemplate(actions(), { ...IDLE, developer: true }, 'linux')).some((i) => i.role === 'toggleDevTools')).toBe(true);
  });
});
