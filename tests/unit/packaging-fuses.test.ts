import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { Arch } from 'electron-builder';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { afterPack, electronBinaryPath, fuseMismatches, type PackedApp } from '../../packaging/after-pack.js';
import { PACKED_PLATFORMS, packagedAppFuses } from '../../packaging/electron-fuses.js';
import { ELECTRON_DEFAULT_WIRE, FUSE_SENTINEL, STAND_IN_FILLER, writeStandInElectron } from '../support/stand-in-electron.js';

const { ENABLE, DISABLE } = FuseState;

const app = (appOutDir: string, electronPlatformName: string, arch = Arch.x64): PackedApp => ({
  appOutDir,
  electronPlatformName,
  arch,
  packager: electronPlatformName === 'linux' ? { appInfo: { productFilename: 'HPC Studio' }, executableName: 'hpc-studio' } : { appInfo: { productFilename: 'HPC Studio' } },
});

describe('the fuse configuration of the packaged app', () => {
  it.each(PACKED_PLATFORMS)('on %s: no run-as-Node, no NODE_OPTIONS, no --inspect, encrypted cookies, app only from its asar', (platform) => {
    expect(packagedAppFuses(platform)).toMatchObject({
      version: '1',
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
    });
  });

  it('validates the asar against its embedded hash on macOS and Windows, the platforms whose Electron can', () => {
    expect(packagedAppFuses('darwin')[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(packagedAppFuses('win32')[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(packagedAppFuses('linux')[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(false);
  });

  it('refuses a platform it has no configuration for', () => {
    expect(() => packagedAppFuses('freebsd')).toThrow('no fuse configuration for platform "freebsd" (HPC Studio is packed for linux, win32, darwin)');
  });
});

describe('the afterPack hook on a stand-in Electron binary', () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'hpc-fuses-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('finds the binary where electron-builder puts it on each platform', () => {
    expect(electronBinaryPath(app(out, 'linux'))).toBe(join(out, 'hpc-studio'));
    expect(electronBinaryPath(app(out, 'win32'))).toBe(join(out, 'HPC Studio.exe'));
    expect(electronBinaryPath(app(out, 'darwin'))).toBe(join(out, 'HPC Studio.app'));
  });

  it.each([
    ['linux', 'hpc-studio'],
    ['win32', 'HPC Studio.exe'],
    // @electron/fuses writes a macOS app's fuses into its Electron Framework, not the launcher.
    ['darwin', 'HPC Studio.app/Contents/Frameworks/Electron Framework.framework/Electron Framework'],
  ])('on %s flips the fuses with @electron/fuses and they read back as configured', async (platform, binary) => {
    const before = writeStandInElectron(join(out, binary));
    await afterPack(app(out, platform));

    const wire = await getCurrentFuseWire(electronBinaryPath(app(out, platform)));
    const wanted = packagedAppFuses(platform);
    for (const option of [FuseV1Options.RunAsNode, FuseV1Options.EnableCookieEncryption, FuseV1Options.EnableNodeOptionsEnvironmentVariable, FuseV1Options.EnableNodeCliInspectArguments, FuseV1Options.EnableEmbeddedAsarIntegrityValidation, FuseV1Options.OnlyLoadAppFromAsar]) {
      expect(wire[option], FuseV1Options[option]).toBe(wanted[option] ? ENABLE : DISABLE);
    }
    // Fuses the app leaves alone keep Electron's defaults, and nothing outside the wire changes.
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(ENABLE);
    const after = readFileSync(join(out, binary));
    const wireStart = STAND_IN_FILLER.length + FUSE_SENTINEL.length + 2;
    expect(after.subarray(0, wireStart).equals(before.subarray(0, wireStart))).toBe(true);
    expect(after.subarray(wireStart + ELECTRON_DEFAULT_WIRE.length).equals(before.subarray(wireStart + ELECTRON_DEFAULT_WIRE.length))).toBe(true);
  });

  it('names every fuse that reads back differently, which is what fails the build', async () => {
    const binary = join(out, 'hpc-studio');
    writeStandInElectron(binary);
    expect(await fuseMismatches(binary, packagedAppFuses('linux'))).toEqual([
      'RunAsNode is enable, wanted disable',
      'EnableCookieEncryption is disable, wanted enable',
      'EnableNodeOptionsEnvironmentVariable is enable, wanted disable',
      'EnableNodeCliInspectArguments is enable, wanted disable',
      'OnlyLoadAppFromAsar is disable, wanted enable',
    ]);
  });

  it('fails the build when the packed app has no Electron binary where expected', async () => {
    await expect(afterPack(app(out, 'linux'))).rejects.toThrow(/no such file/);
  });
});
