import type { MenuItemConstructorOptions } from 'electron';

/** What the menu's own items do; the roles (copy, zoom, full screen…) are Electron's. */
export interface AppMenuActions {
  newRun(): void;
  startRun(): void;
  pauseOrResumeRun(): void;
  stopRun(): void;
  importRun(): void;
  openDataFolder(): void;
  toggleDarkMode(): void;
  openLogFile(): void;
  showLogsFolder(): void;
}

/** What the menu reflects; it is rebuilt when any of it changes. */
export interface AppMenuState {
  /** The run training now, if any. */
  activeRun: { id: string; paused: boolean } | null;
  dark: boolean;
  /** Developer tools only in a development build. */
  developer: boolean;
}

export const ACCELERATORS = {
  newRun: 'CmdOrCtrl+N',
  startRun: 'CmdOrCtrl+Enter',
  pauseOrResumeRun: 'CmdOrCtrl+Shift+P',
  stopRun: 'CmdOrCtrl+.',
  importRun: 'CmdOrCtrl+O',
  openDataFolder: 'CmdOrCtrl+Shift+O',
  toggleDarkMode: 'CmdOrCtrl+Shift+D',
} as const;

/** The app's native menu: File, Run, View, Window, Help (and the app menu on macOS). */
export function appMenuTemplate(actions: AppMenuActions, state: AppMenuState, platform: NodeJS.Platform): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const item = (id: keyof typeof ACCELERATORS, label: string, extra: MenuItemConstructorOptions = {}): MenuItemConstructorOptions => ({
    id,
    label,
    accelerator: ACCELERATORS[id],
    click: () => actions[id](),
    ...extra,
  });
  const run = state.activeRun;
  return [
    ...(mac ? [{ role: 'appMenu' } as const] : []),
    {
      label: '&File',
      submenu: [
        item('newRun', 'New Run…'),
        item('importRun', 'Import Run…'),
        { type: 'separator' },
        item('openDataFolder', 'Open Data Folder'),
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    // Also what makes copy and paste work in text fields on macOS.
    { role: 'editMenu' },
    {
      label: '&Run',
      submenu: [
        item('startRun', 'Start Run', { enabled: run === null }),
        item('pauseOrResumeRun', run?.paused ? 'Resume Run' : 'Pause Run', { enabled: run !== null }),
        item('stopRun', 'Stop Run', { enabled: run !== null }),
      ],
    },
    {
      label: '&View',
      submenu: [
        { role: 'reload' },
        ...(state.developer ? [{ role: 'toggleDevTools' } as const] : []),
        { type: 'separator' },
        item('toggleDarkMode', 'Dark Mode', { type: 'checkbox', checked: state.dark }),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { id: 'openLogFile', label: 'Open Log File', click: () => actions.openLogFile() },
        { id: 'showLogsFolder', label: 'Show Logs Folder', click: () => actions.showLogsFolder() },
      ],
    },
  ];
}
