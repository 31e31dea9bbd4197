import { spawn } from 'node:child_process';
import { packageRoot } from '../package-root.js';
import { findElectronBinary } from './electron-binary.js';
import { serveCommand, type ServeOptions } from './serve-command.js';

/** `hpc-studio app`: the desktop app, or `serve` in a browser where Electron cannot run. */
export async function appCommand(options: ServeOptions & { dataDirGiven: boolean }): Promise<number> {
  const root = packageRoot();
  const electron = findElectronBinary(root);
  if (!electron.ok) {
    process.stderr.write(`Electron is not available here (${electron.reason}); starting serve mode instead: open the URL below in a browser.\n`);
    return serveCommand(options);
  }
  const env = { ...process.env, ...(options.dataDirGiven ? { HPC_STUDIO_DATA_DIR: options.dataDir } : {}) };
  const child = spawn(electron.path, [root], { stdio: 'inherit', env });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}
