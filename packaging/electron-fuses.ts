import { FuseV1Options, FuseVersion, type FuseV1Config } from '@electron/fuses';

/** The platforms electron-builder packs HPC Studio for, as Electron names them. */
export const PACKED_PLATFORMS = ['linux', 'win32', 'darwin'] as const;
export type PackedPlatform = (typeof PACKED_PLATFORMS)[number];

/**
 * Where Electron checks app.asar against the hash electron-builder embeds (Info.plist on macOS, a
 * resource in the .exe on Windows); Linux Electron has no such check, so the fuse stays off there.
 */
const ASAR_INTEGRITY_PLATFORMS: readonly PackedPlatform[] = ['darwin', 'win32'];

export function isPackedPlatform(platform: string): platform is PackedPlatform {
  return (PACKED_PLATFORMS as readonly string[]).includes(platform);
}

/**
 * The fuses baked into the packaged Electron binary, so that nobody who can set the user's
 * environment or arguments can turn the app into a general Node runtime or a debug target.
 * Fuses not named here keep Electron's defaults.
 */
export function packagedAppFuses(platform: string): FuseV1Config {
  if (!isPackedPlatform(platform)) {
    throw new Error(`no fuse configuration for platform "${platform}" (HPC Studio is packed for ${PACKED_PLATFORMS.join(', ')})`);
  }
  return {
    version: FuseVersion.V1,
    // The trainer runs as a utilityProcess and the CLI on the user's own Node: nothing needs ELECTRON_RUN_AS_NODE.
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: ASAR_INTEGRITY_PLATFORMS.includes(platform),
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
  };
}
