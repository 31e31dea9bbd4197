import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../host/atomic-file.js';

/** The desktop app's own preferences, as `settings.json` in its user-data folder (`app.getPath('userData')`) holds them. */
export const AppSettings = z.object({
  /** `system` follows the OS; the View menu's Dark Mode sets `dark` or `light`. */
  theme: z.enum(['system', 'light', 'dark']),
});
export type AppSettings = z.infer<typeof AppSettings>;

const DEFAULTS: AppSettings = { theme: 'system' };

/** Reads the settings; a missing, unreadable or outdated file gives the defaults for what it lacks. */
export function loadAppSettings(file: string): AppSettings {
  try {
    const parsed = AppSettings.partial().safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return { ...DEFAULTS, ...(parsed.success ? parsed.data : {}) };
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveAppSettings(file: string, settings: AppSettings): void {
  writeFileAtomic(file, JSON.stringify(AppSettings.parse(settings), null, 2) + '\n');
}

/** What the Dark Mode item switches to: the opposite of what shows now, whatever set it. */
export function toggledTheme(showingDark: boolean): AppSettings['theme'] {
  return showingDark ? 'light' : 'dark';
}
