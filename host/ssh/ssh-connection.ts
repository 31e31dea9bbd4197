import { readFileSync } from 'node:fs';
import ssh2, { type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { HostKeyRefused, KnownHostsFile, type ConfirmUnknownHost } from './known-hosts.js';
import { describeSshTarget, type SshTarget } from '../../shared/ssh-target.js';

/** How to log in: a private key file (its passphrase asked through a callback, never logged), or else the user's ssh-agent. */
export interface SshAuth {
  identityFile?: string;
  /** Asked only when the key file is encrypted. */
  passphrase?: (identityFile: string) => Promise<string>;
  /** The ssh-agent's socket; default SSH_AUTH_SOCK. */
  agentSocket?: string;
}

export interface SshConnectOptions extends SshAuth {
  target: SshTarget;
  knownHostsFile?: string;
  confirmUnknownHost: ConfirmUnknownHost;
  /** Handshake and login, default 20 s; the time the user takes to judge an unknown host key is not counted. */
  readyTimeoutMs?: number;
}

export class SshConnectError extends Error {
  constructor(
    readonly reason: 'host-key' | 'auth' | 'no-key' | 'unreachable',
    message: string,
  ) {
    super(message);
    this.name = 'SshConnectError';
  }
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SshConnection {
  target: SshTarget;
  /** Runs one command line on the node (build it with shellCommand); its output is collected. */
  exec(command: string): Promise<ExecResult>;
  sftp(): Promise<SFTPWrapper>;
  /** A stream to `host:port` as seen from the node (its loopback, typically), through this connection. */
  forwardOut(host: string, port: number): Promise<ClientChannel>;
  /**
   * A port on the node's loopback (sshd picks it; remote forwarding must be allowed): each
   * connection to it there arrives here as a stream. Every listener is closed with the connection.
   */
  listenOnNode(onStream: (stream: ClientChannel) => void): Promise<NodeListener>;
  /** Called once if the connection drops. */
  onClose(listener: () => void): void;
  close(): void;
}

export interface NodeListener {
  /** On 127.0.0.1 of the node. */
  port: number;
  close(): Promise<void>;
}

/** Where remote listeners are opened on a node: never on its network. */
const NODE_LOOPBACK = '127.0.0.1';

// ssh2 is CommonJS: Node's ESM loader sees only its default export.
const { Client, utils } = ssh2;

/** Key types a known_hosts line names, as handshake algorithms (an RSA key can sign with SHA-2). */
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/** Logs in to a node with ssh2 (no `ssh` program), its host key checked against the user's known_hosts first. */
export async function connectSsh(options: SshConnectOptions): Promise<SshConnection> {
  const { target } = options;
  const who = describeSshTarget(target);
  const knownHosts = new KnownHostsFile(options.knownHostsFile);
  const credentials = await loginCredentials(options);
  const preferred = knownHosts.knownKeyTypes(target.host, target.port).flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? []);

  const client = new Client();
  let refusal: Error | undefined;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  // ssh2's own readyTimeout would run on while the user reads a fingerprint; this one pauses.
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const startTimer = () => {
    timer = setTimeout(() => {
      timedOut = true;
      client.destroy();
    }, readyTimeoutMs);
  };
  const confirm: ConfirmUnknownHost = async (host) => {
    clearTimeout(timer);
    try {
      return await options.confirmUnknownHost(host);
    } finally {
      startTimer();
    }
  };
  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.user,
    ...credentials,
    readyTimeout: 0,
    keepaliveInterval: 15_000,
    // Ask first for a key type known_hosts has for this node, so a node with several keys is judged by the one we know.
    ...(preferred.length > 0 ? { algorithms: { serverHostKey: { remove: preferred, prepend: preferred } as never } } : {}),
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      knownHosts.verify(target.host, target.port, key, confirm).then(
        () => verify(true),
        (error: unknown) => {
          refusal = error instanceof Error ? error : new Error(String(error));
          verify(false);
        },
      );
    },
  };

  await new Promise<void>((resolve, reject) => {
    const fail = (error?: Error & { level?: string }) => {
      if (timedOut) return reject(new SshConnectError('unreachable', `${who}: no SSH answer within ${readyTimeoutMs / 1000} s`));
      if (refusal) return reject(new SshConnectError('host-key', refusal.message));
      if (error === undefined) return reject(new SshConnectError('unreachable', `${who}: the connection closed before login`));
      if (error.level === 'client-authentication') {
        const by = credentials.privateKey ? `the key ${options.identityFile}` : 'any key of the ssh-agent';
        return reject(new SshConnectError('auth', `${who} refused ${by} (public key login): is its .pub line in ~${target.user}/.ssh/authorized_keys on the node?`));
      }
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'ECONNREFUSED' ? 'nothing listens on that port'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'unknown host name'
        : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'no route to that host'
        : error.message;
      reject(new SshConnectError('unreachable', `${who}: cannot connect (${why})`));
    };
    client.once('ready', () => resolve());
    client.once('error', fail);
    client.once('close', () => fail());
    startTimer();
    client.connect(config);
  }).finally(() => clearTimeout(timer)).catch((error: unknown) => {
    client.end();
    throw error instanceof HostKeyRefused ? new SshConnectError('host-key', error.message) : error;
  });
  // After login an error is a dropped connection, reported through onClose and the calls in flight.
  client.on('error', () => {});
  const onNode = new Map<number, (stream: ClientChannel) => void>();
  client.on('tcp connection', (info, accept, reject) => {
    const deliver = info.destIP === NODE_LOOPBACK ? onNode.get(info.destPort) : undefined;
    if (deliver) deliver(accept());
    else reject();
  });

  return {
    target,
    exec: (command) =>
      new Promise<ExecResult>((resolve, reject) => {
        client.exec(command, (error, channel) => {
          if (error) return reject(new Error(`${who}: cannot run a command: ${error.message}`));
          let stdout = '';
          let stderr = '';
          let code: number | null = null;
          channel.setEncoding('utf8');
          channel.stderr.setEncoding('utf8');
          channel.on('data', (chunk: string) => (stdout += chunk));
          channel.stderr.on('data', (chunk: string) => (stderr += chunk));
          channel.on('exit', (exitCode: number | null) => (code = exitCode));
          channel.on('close', () => resolve({ code, stdout, stderr }));
        });
      }),
    sftp: () =>
      new Promise<SFTPWrapper>((resolve, reject) => {
        client.sftp((error, sftp) => (error ? reject(new Error(`${who}: SFTP is not available: ${error.message}`)) : resolve(sftp)));
      }),
    forwardOut: (host, port) =>
      new Promise<ClientChannel>((resolve, reject) => {
        client.forwardOut('127.0.0.1', 0, host, port, (error, channel) =>
          error ? reject(new Error(`${who}: the node would not forward to ${host}:${port}: ${error.message}`)) : resolve(channel),
        );
      }),
    listenOnNode: (onStream) =>
      new Promise<NodeListener>((resolve, reject) => {
        client.forwardIn(NODE_LOOPBACK, 0, (error, port) => {
          if (error) return reject(new Error(`${who}: the node's sshd would not listen on ${NODE_LOOPBACK} for the relay: it must allow remote forwarding (AllowTcpForwarding yes) (${error.message})`));
          onNode.set(port, onStream);
          resolve({
            port,
            close: () =>
              new Promise<void>((done) => {
                onNode.delete(port);
                try {
                  client.unforwardIn(NODE_LOOPBACK, port, () => done());
                } catch {
                  // The connection is gone, and the node's listener with it.
                  done();
                }
              }),
          });
        });
      }),
    onClose: (listener) => void client.once('close', listener),
    close: () => client.end(),
  };
}

async function loginCredentials(options: SshConnectOptions): Promise<Pick<ConnectConfig, 'privateKey' | 'passphrase' | 'agent'>> {
  if (options.identityFile !== undefined) {
    const file = options.identityFile;
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (error) {
      throw new SshConnectError('no-key', `identity file ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    const plain = utils.parseKey(data);
    if (!(plain instanceof Error)) return { privateKey: data };
    if (!/encrypted|passphrase/i.test(plain.message)) throw new SshConnectError('no-key', `identity file ${file}: not a private key ssh2 can read (${plain.message})`);
    if (!options.passphrase) throw new SshConnectError('no-key', `identity file ${file}: it is encrypted and no passphrase can be asked for`);
    const passphrase = await options.passphrase(file);
    if (utils.parseKey(data, passphrase) instanceof Error) throw new SshConnectError('no-key', `identity file ${file}: wrong passphrase`);
    return { privateKey: data, passphrase };
  }
  const agent = options.agentSocket ?? process.env.SSH_AUTH_SOCK;
  if (!agent) throw new SshConnectError('no-key', 'no key to log in with: pass an identity file (--identity FILE) or start an ssh-agent (SSH_AUTH_SOCK is not set)');
  return { agent };
}
