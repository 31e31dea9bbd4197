import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../host/atomic-file.js';

const Rect = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(1).max(100_000),
  height: z.number().int().min(1).max(100_000),
});
export type Rect = z.infer<typeof Rect>;

/** The window's size and place when it last closed, as `window-state.json` in the app's user-data folder holds it. */
export const WindowState = z.object({ bounds: Rect, maximized: z.boolean() });
export type WindowState = z.infer<typeof WindowState>;

/** How much of the window's top edge must lie on a display for the user to grab it. */
const GRAB = { width: 96, height: 32 };

/**
 * The state saved in `file`, if it is readable and the window would still show on one of the
 * displays attached now (a monitor unplugged since leaves it off-screen); null otherwise, and the
 * window opens at its default size where the system puts it. A size below `minimum` is raised to it.
 */
export function restoreWindowState(file: string, displays: readonly Rect[], minimum: { width: number; height: number }): WindowState | null {
  let parsed;
  try {
    parsed = WindowState.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return null;
  }
  if (!parsed.success) return null;
  const bounds = { ...parsed.data.bounds, width: Math.max(parsed.data.bounds.width, minimum.width), height: Math.max(parsed.data.bounds.height, minimum.height) };
  const titleBar = { x: bounds.x, y: bounds.y, width: bounds.width, height: GRAB.height };
  const grabbable = displays.some((d) => overlap(titleBar, d, 'width') >= Math.min(GRAB.width, bounds.width) && overlap(titleBar, d, 'height') >= GRAB.height);
  return grabbable ? { bounds, maximized: parsed.data.maximized } : null;
}

/** Writes the state (bounds rounded to whole pixels); throws only if the file cannot be written. */
export function saveWindowState(file: string, state: WindowState): void {
  const b = state.bounds;
  const rounded = { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) };
  writeFileAtomic(file, JSON.stringify(WindowState.parse({ ...state, bounds: rounded }), null, 2) + '\n');
}

function overlap(a: Rect, b: Rect, along: 'width' | 'height'): number {
  const start = along === 'width' ? 'x' : 'y';
  return Math.min(a[start] + a[along], b[start] + b[along]) - Math.max(a[start], b[start]);
}
