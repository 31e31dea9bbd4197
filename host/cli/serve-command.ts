import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { startWebServer } from '../web/web-server.js';
import { createCliHost } from './cli-host.js';
import { EXIT } from './exit-codes.js';

export interface ServeOptions {
  dataDir: string;
  host: string;
  port: number;
}

/** `hpc-studio serve`: the UI for a browser, in the foreground until SIGINT/SIGTERM. */
export async function serveCommand(options: ServeOptions): Promise<number> {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    process.stderr.write(`error: --port: must be an integer from 0 to 65535 (0: any free port)\n`);
    return EXIT.badInput;
  }
  const host = createCliHost(options.dataDir);
  let server;
  try {
    server = await startWebServer({
      host: options.host,
      port: options.port,
      uiRoot: join(packageRoot(), 'out', 'renderer'),
      service: host.service,
      onError: (error) => process.stderr.write(`serve: ${error instanceof Error ? error.stack : String(error)}\n`),
    });
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.badInput;
  }
  // Listening before the URL is printed: whoever reads it may press Ctrl-C at once.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await host.monitor.start();
  host.peers.start();
  host.clusterRuns.start();
  process.stdout.write(`${server.url}\n`);
  process.stderr.write(`HPC Studio serving data dir ${options.dataDir}; Ctrl-C to stop\n`);
  await stopRequested;
  process.stderr.write('shutting down: stopping any run cleanly…\n');
  await host.supervisor.stopAll();
  host.service.undeployAll();
  host.monitor.stop();
  host.peers.stop();
  host.clusterRuns.stop();
  host.clusters.close();
  await server.close();
  return EXIT.done;
}
