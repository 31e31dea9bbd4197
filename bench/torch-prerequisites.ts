import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TorchInstall } from './torch-runner.js';

const SETUP = 'bash scripts/setup-bench.sh';

export interface TorchInstalls {
  pytorch2: TorchInstall;
  debian: TorchInstall;
}

function torchVersion(python: string): string | null {
  const probe = spawnSync(python, ['-c', 'import numpy, torch; print(torch.__version__)'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

function debianPackageVersion(pkg: string): string | null {
  const probe = spawnSync('dpkg-query', ['-W', '-f=${Status} ${Version}', pkg], { encoding: 'utf8' });
  const match = /install ok installed (\S+)/.exec(probe.stdout ?? '');
  return match ? match[1]! : null;
}

/**
 * Finds the two PyTorch installs the training bench compares with, or says in one line which is
 * missing and how to get it.
 */
export function findTorchInstalls(root: string): TorchInstalls | { missing: string } {
  const venvPython = join(root, '.cache', 'torch-venv', 'bin', 'python');
  const venvTorch = existsSync(venvPython) ? torchVersion(venvPython) : null;
  if (!venvTorch?.startsWith('2.')) {
    return { missing: `PyTorch 2.x with numpy in .cache/torch-venv is missing${venvTorch ? ` (found torch ${venvTorch})` : ''}; install it with: ${SETUP}` };
  }
  const debianTorch = debianPackageVersion('python3-torch');
  if (!debianTorch || !torchVersion('/usr/bin/python3')) {
    return { missing: `Debian's python3-torch (PyTorch 1.13 for /usr/bin/python3) is missing; install it with: ${SETUP}` };
  }
  const openblas = debianPackageVersion('libopenblas0-pthread');
  if (!openblas) return { missing: `Debian's libopenblas0-pthread (the BLAS for python3-torch) is missing; install it with: ${SETUP}` };
  return {
    pytorch2: { label: `PyTorch ${venvTorch}`, python: venvPython },
    debian: { label: `Debian python3-torch ${debianTorch} (libopenblas0-pthread ${openblas})`, python: '/usr/bin/python3' },
  };
}
