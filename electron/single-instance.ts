import { isAbsolute, resolve } from 'node:path';
import { RUN_ARCHIVE_EXTENSION } from '../shared/run-archive.js';

/** The slice of Electron's `app` the single-instance lock uses. */
export interface SingleInstanceApp {
  requestSingleInstanceLock(): boolean;
  on(event: 'second-instance', listener: (event: unknown, argv: string[], workingDirectory: string) => void): unknown;
  quit(): void;
}

/**
 * One app per user: a second launch hands its command line to the first (which comes to the
 * front and opens any run archive named there) and quits. Returns whether this is the first.
 */
export function claimSingleInstance(app: SingleInstanceApp, onSecondLaunch: (argv: string[], workingDirectory: string) => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', (_event, argv, workingDirectory) => onSecondLaunch(argv, workingDirectory));
  return true;
}

/** The run archives named on a command line (a double-clicked file on Windows and Linux arrives so), as absolute paths. */
export function runArchivesIn(argv: readonly string[], workingDirectory: string): string[] {
  return argv
    .filter((arg) => !arg.startsWith('-') && arg.toLowerCase().endsWith(RUN_ARCHIVE_EXTENSION))
    .map((arg) => (isAbsolute(arg) ? arg : resolve(workingDirectory, arg)));
}

/** The slice of BrowserWindow that coming to the front uses. */
export interface FocusableWindow {
  isMinimized(): boolean;
  restore(): void;
  show(): void;
  focus(): void;
}

export function bringToFront(win: FocusableWindow): void {
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
