import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ElectronBinary = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Finds the Electron executable the `electron` package manages, letting it try its lazy
 * download once; on machines that cannot download it, says why instead of throwing.
 */
export function findElectronBinary(root: string, downloadTimeoutMs = 120_000): ElectronBinary {
  let pkgDir: string;
  try {
    pkgDir = dirname(createRequire(join(root, 'package.json')).resolve('electron/package.json'));
  } catch {
    return { ok: false, reason: 'the electron package is not installed' };
  }
  const found = installedPath(pkgDir);
  if (found) return { ok: true, path: found };
  const attempt = spawnSync(process.execPath, [join(pkgDir, 'install.js')], { encoding: 'utf8', timeout: downloadTimeoutMs });
  const retry = installedPath(pkgDir);
  if (retry) return { ok: true, path: retry };
  const firstError = `${attempt.stderr ?? ''}`.split('\n').find((l) => /error/i.test(l))?.trim();
  return {
    ok: false,
    reason: attempt.error ? `download timed out` : `its binary could not be downloaded${firstError ? `: ${firstError.slice(0, 160)}` : ''}`,
  };
}

function installedPath(pkgDir: string): string | null {
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}
