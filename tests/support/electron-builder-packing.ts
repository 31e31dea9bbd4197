import { lstatSync, readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Configuration, PlatformSpecificBuildOptions } from 'app-builder-lib';
import * as fileMatchers from 'app-builder-lib/out/fileMatcher.js';
import { getConfig } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger, type Filter, type FilterStats } from 'builder-util';

/**
 * Which project files electron-builder puts into the packaged app, and which it leaves outside
 * app.asar, decided by electron-builder's own pattern code (app-builder-lib/out/fileMatcher.js,
 * minimatch with its options and default exclusions), not by a copy of its rules.
 */

type FileMatcher = fileMatchers.FileMatcher;
/** Internal to electron-builder (stripped from its typings), so typed here from app-builder-lib/out/fileMatcher.js. */
interface InternalMatchers {
  getMainFileMatchers(appDir: string, destination: string, macroExpander: (p: string) => string, platformOptions: PlatformSpecificBuildOptions, platformPackager: unknown, outDir: string, isElectronCompile: boolean): FileMatcher[];
  getNodeModuleFileMatcher(appDir: string, destination: string, macroExpander: (p: string) => string, platformOptions: PlatformSpecificBuildOptions, packager: unknown): FileMatcher;
}
const { getMainFileMatchers, getNodeModuleFileMatcher } = fileMatchers as unknown as InternalMatchers;

const noMacros = (pattern: string) => pattern;
const DESTINATION = join('resources', 'app');

export const PLATFORM_KEYS = ['linux', 'win', 'mac'] as const;
export type PlatformKey = (typeof PLATFORM_KEYS)[number];

/** electron-builder.yml as electron-builder loads it (its own loader, defaults merged in). */
export function loadBuilderConfig(projectDir: string, configFile: string | null = null): Promise<Configuration> {
  return getConfig(projectDir, configFile, null);
}

export interface PackingRules {
  /** Whether the file (absolute path) ends up in the packaged app, in app.asar or beside it. */
  packs(file: string): boolean;
  /** Whether the file ends up in app.asar.unpacked, a real file on disk. */
  unpacks(file: string): boolean;
}

/**
 * The rules for one platform's build. Files under node_modules/ are packed when their package is
 * a production dependency (`productionPackages`) and no `files` exclusion removes them, as
 * electron-builder copies node_modules apart from the app's own files.
 */
export function packingRules(projectDir: string, config: Configuration, platform: PlatformKey, productionPackages: ReadonlySet<string>): PackingRules {
  const platformOptions: PlatformSpecificBuildOptions = config[platform] ?? {};
  const outDir = join(projectDir, config.directories?.output ?? 'dist');
  const debugLogger = new DebugLogger(false);
  const packager = { config, debugLogger, projectDir, buildResourcesDir: join(projectDir, config.directories?.buildResources ?? 'build'), isPrepackedAppAsar: false };

  const appFilters = getMainFileMatchers(projectDir, DESTINATION, noMacros, platformOptions, { info: packager }, outDir, false).map((m) => m.createFilter());
  const moduleMatcher = getNodeModuleFileMatcher(projectDir, DESTINATION, noMacros, platformOptions, packager);
  const unpackMatchers = fileMatchers.getFileMatchers(config, 'asarUnpack', DESTINATION, { macroExpander: noMacros, customBuildOptions: platformOptions, globalOutDir: outDir, defaultSrc: projectDir });
  const unpackFilter = unpackMatchers?.[0]?.createFilter();

  /** The stat electron-builder hands its filters: for a module file, its path inside the app. */
  const statOf = (file: string): FilterStats => {
    const stat: FilterStats = lstatSync(file);
    const inModules = moduleOf(projectDir, file);
    if (inModules) stat.moduleFullFilePath = relative(projectDir, file).split(sep).join('/');
    return stat;
  };
  /** copyDir only descends into folders the filter accepts, so every folder on the way must pass too. */
  const passesWithParents = (filter: Filter, file: string, root: string): boolean => {
    for (let path = file; path !== root && path.startsWith(root + sep); path = dirname(path)) {
      if (!filter(path, statOf(path))) return false;
    }
    return true;
  };

  return {
    packs(file) {
      const pkg = moduleOf(projectDir, file);
      if (pkg === null) return appFilters.some((filter) => passesWithParents(filter, file, projectDir));
      if (!productionPackages.has(pkg.name)) return false;
      const filter = new fileMatchers.FileMatcher(pkg.dir, join(DESTINATION, 'node_modules', pkg.name), noMacros, moduleMatcher.patterns).createFilter();
      return moduleMatcher.isEmpty() || passesWithParents(filter, file, pkg.dir);
    },
    unpacks(file) {
      return unpackFilter !== undefined && this.packs(file) && unpackFilter(file, statOf(file));
    },
  };
}

/** The package a file under the project's node_modules/ belongs to, or null for the app's own files. */
function moduleOf(projectDir: string, file: string): { name: string; dir: string } | null {
  const parts = relative(projectDir, file).split(sep);
  if (parts[0] !== 'node_modules' || parts.length < 3) return null;
  const name = parts[1]!.startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1]!;
  return { name, dir: join(projectDir, 'node_modules', name) };
}

/** Every file under a folder, as absolute paths. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
