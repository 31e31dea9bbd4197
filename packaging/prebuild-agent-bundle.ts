import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatBytes } from '../shared/run-labels.js';
import { packageRoot } from '../host/package-root.js';
import { writePrebuiltBundle } from '../host/ssh/prebuilt-agent-bundle.js';

/** Where `npm run dist` puts the agent bundle; electron-builder.yml copies it into the app's resources. */
export const PREBUILT_BUNDLE_DIR = join('build', 'agent-bundle');

// Run by `npm run dist` before electron-builder: SSH peers of the installed app get this bundle.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = packageRoot();
  const bundle = await writePrebuiltBundle({ root, outDir: join(root, PREBUILT_BUNDLE_DIR) });
  process.stderr.write(`agent bundle ${bundle.id}: ${bundle.files} files, ${formatBytes(bundle.bytes)} → ${bundle.tarball}\n`);
}
