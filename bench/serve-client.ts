import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { connectApiSocket } from '../host/web/api-socket.js';
import { ApiClient } from '../shared/api-client.js';

export interface ServeConnection {
  /** The API over the WebSocket, as the renderer's client validates it. */
  client: ApiClient;
  pid: number;
  /** Stops `serve` (which stops its run cleanly) and resolves once it has exited. */
  close(): Promise<void>;
}

/**
 * `hpc-studio serve` as a user starts it, in its own process, and a WebSocket client connected to
 * its API with the printed token as a bearer credential (a program's way in; a browser trades it
 * for a cookie). Every event and response is checked against the API contract on arrival.
 */
export async function startServe(root: string, dataDir: string, env: NodeJS.ProcessEnv): Promise<ServeConnection> {
  const child = spawn(process.execPath, [join(root, 'bin', 'hpc-studio.mjs'), 'serve', '--port', '0', '--data-dir', dataDir], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await new Promise<URL>((resolve, reject) => {
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
        const line = /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/m.exec(stdout)?.[0];
        if (line) resolve(new URL(line));
      });
      child.once('exit', (code) => reject(new Error(`serve exited with code ${code} before printing its URL: ${stderr.trim()}`)));
    });
    const { channel, socket } = await connectApiSocket(`ws://${url.host}/api`, { authorization: `Bearer ${url.searchParams.get('token')}` });
    const client = new ApiClient(channel, (message) => process.stderr.write(`bench: ${message}\n`));
    return {
      client,
      pid: child.pid!,
      close: async () => {
        socket.close();
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
