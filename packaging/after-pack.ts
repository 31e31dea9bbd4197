import { join } from 'node:path';
import { FuseState, FuseV1Options, flipFuses, getCurrentFuseWire, type FuseV1Config } from '@electron/fuses';
import { Arch } from 'electron-builder';
import { packagedAppFuses } from './electron-fuses.js';

/** The parts of electron-builder's AfterPackContext this hook reads. */
export interface PackedApp {
  appOutDir: string;
  electronPlatformName: string;
  arch: Arch;
  /** Only electron-builder's LinuxPackager has executableName; the other platforms name the binary after the product. */
  packager: { appInfo: { productFilename: string }; executableName?: string };
}

/** The Electron binary in a packed app, where electron-builder's own fuse step looks for it. */
export function electronBinaryPath(app: PackedApp): string {
  const { appOutDir, electronPlatformName: platform, packager } = app;
  if (platform === 'linux') {
    if (!packager.executableName) throw new Error('afterPack: the Linux packager names no executable');
    return join(appOutDir, packager.executableName);
  }
  if (platform === 'win32') return join(appOutDir, `${packager.appInfo.productFilename}.exe`);
  return join(appOutDir, `${packager.appInfo.productFilename}.app`);
}

/** Fuses in the binary that differ from `wanted`, one line each; empty when all match. */
export async function fuseMismatches(binary: string, wanted: FuseV1Config): Promise<string[]> {
  const wire = await getCurrentFuseWire(binary);
  const problems: string[] = [];
  for (const [key, value] of Object.entries(wanted)) {
    const index = Number(key);
    if (!Number.isInteger(index) || typeof value !== 'boolean') continue;
    const expected = value ? FuseState.ENABLE : FuseState.DISABLE;
    const actual = wire[index as FuseV1Options];
    if (actual !== expected) {
      problems.push(`${FuseV1Options[index]} is ${stateName(actual)}, wanted ${stateName(expected)}`);
    }
  }
  return problems;
}

function stateName(state: number | undefined): string {
  return state === undefined ? 'missing from the fuse wire' : (FuseState[state] ?? `unknown state ${state}`).toLowerCase();
}

/**
 * electron-builder's afterPack hook (electron-builder.yml): flips the fuses in the packed binary
 * before it is signed, then reads them back and fails the build on any difference.
 */
export async function afterPack(app: PackedApp): Promise<void> {
  const binary = electronBinaryPath(app);
  const fuses = packagedAppFuses(app.electronPlatformName);
  // Changing the binary voids an arm64 Mac's ad-hoc signature, and macOS will not start an arm64 app without one.
  const adHocSigned = app.electronPlatformName === 'darwin' && (app.arch === Arch.arm64 || app.arch === Arch.universal);
  await flipFuses(binary, { ...fuses, resetAdHocDarwinSignature: adHocSigned });
  const problems = await fuseMismatches(binary, fuses);
  if (problems.length > 0) throw new Error(`afterPack: the fuses in ${binary} did not take: ${problems.join('; ')}`);
}
