import { join } from 'node:path';
import { packageRoot, packageVersion } from '../package-root.js';
import type { PeerConnector } from '../distributed/peer-group-process.js';
import { createStudioHost, type StudioHost } from '../studio-host.js';
import { forkTrainer } from '../trainer-process.js';

/** The host services as the CLI runs them: in this process, the trainer forked beside it. */
export function createCliHost(dataDir: string, connectPeer?: PeerConnector, defaultDatasetDir?: string, datasetUploadLimit?: number): StudioHost {
  const root = packageRoot();
  return createStudioHost({
    dataDir,
    version: packageVersion(root),
    spawnTrainer: forkTrainer(join(root, 'dist', 'trainer', 'main.js')),
    connectPeer,
    defaultDatasetDir,
    datasetUploadLimit,
    cliCommand: cliCommand(root),
  });
}

/** The words that start this CLI; a cluster's nodes share the login node's filesystem, so they run there too. */
export function cliCommand(root: string = packageRoot()): string[] {
  return [process.execPath, join(root, 'bin', 'hpc-studio.mjs')];
}
