import { homedir } from 'node:os';
import { join } from 'node:path';

/** The product name Electron derives its per-user folder from; CLI and app must agree on it. */
export const PRODUCT_NAME = 'HPC Studio';

/**
 * The per-user app-data folder Electron's `app.getPath('userData')` gives, computed without
 * Electron so the CLI and the desktop app see the same runs.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.HPC_STUDIO_DATA_DIR) return env.HPC_STUDIO_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), PRODUCT_NAME);
}
