import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { resolveFunction } from 'app-builder-lib/out/util/resolve.js';
import { DebugLogger, getPlatformIconFileName } from 'builder-util';
import { afterAll, describe, expect, it } from 'vitest';
import { afterPack } from '../../packaging/after-pack.js';
import { loadBuilderConfig } from '../support/electron-builder-packing.js';

/**
 * electron-builder.yml as electron-builder itself loads and validates it (app-builder-lib's config
 * loader and its scheme.json check, the step `electron-builder` runs before packing anything).
 */
const ROOT = join(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'hpc-builder-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const validate = async (configFile: string | null) => validateConfiguration(await loadBuilderConfig(ROOT, configFile), new DebugLogger(false));

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema validation", async () => {
    await expect(validate(null)).resolves.toBeUndefined();
  });

  it('fails that validation when an option is misspelt, naming it', async () => {
    const broken = join(scratch, 'misspelt.yml');
    writeFileSync(broken, readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8').replace('asarUnpack:', 'asarUnpak:'));
    await expect(validate(broken)).rejects.toThrow("configuration has an unknown property 'asarUnpak'");
  });

  it('fails that validation when a file association is malformed', async () => {
    const broken = join(scratch, 'association.yml');
    writeFileSync(broken, readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8').replace('  - ext: hpcrun', '  - extension: hpcrun'));
    await expect(validate(broken)).rejects.toThrow('configuration.fileAssociations');
  });

  it('builds an AppImage and a deb for Linux, an NSIS installer for Windows and a dmg for macOS, with the app icon', async () => {
    const config = await loadBuilderConfig(ROOT);
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.win?.target).toBe('nsis');
    expect(config.mac?.target).toBe('dmg');
    expect(config.icon).toBe('resources/icon.png');
    expect(existsSync(join(ROOT, 'resources/icon.png'))).toBe(true);
  });

  it('associates .hpcrun run archives with the app, with a document icon for macOS and Windows', async () => {
    const config = await loadBuilderConfig(ROOT);
    const [association] = [config.fileAssociations].flat();
    expect(association).toMatchObject({ ext: 'hpcrun', mimeType: 'application/x-hpcstudio-run', role: 'Viewer' });
    expect(association?.name).toBeTruthy();
    expect(association?.description).toBeTruthy();
    // electron-builder copies these as they are: hpcrun.icns into the .app, hpcrun.ico next to the .exe.
    for (const isMac of [true, false]) {
      const icon = getPlatformIconFileName(association?.icon, isMac);
      expect(icon && existsSync(join(ROOT, 'resources', icon)), `resources/${icon}`).toBe(true);
    }
  });

  it('has what the deb needs from package.json: a homepage and an author with an email', () => {
    // electron-builder's deb target (FpmTarget) refuses to build without them.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { homepage?: string; author?: { name?: string; email?: string } };
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.author?.name).toBeTruthy();
    expect(pkg.author?.email).toMatch(/^[^@\s]+@[^@\s]+$/);
  });

  it('runs the fuse hook after packing, resolved the way electron-builder resolves it', async () => {
    const config = await loadBuilderConfig(ROOT);
    expect(existsSync(join(ROOT, 'dist/packaging/after-pack.js')), 'dist/packaging/after-pack.js: run `npm run build:node` first').toBe(true);
    const hook = await resolveFunction<unknown>(undefined, config.afterPack, 'afterPack', ROOT);
    expect(typeof hook).toBe('function');
    expect((hook as typeof afterPack).name).toBe(afterPack.name);
  });
});
