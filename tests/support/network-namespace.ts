import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * A network namespace joined to this one by a veth pair with addresses of its own: a simulated
 * cluster node whose link the test can cut (`ip link set … down`), as unplugging a cable would.
 * Needs root (CI runs as root).
 */
export class NetworkNamespace {
  readonly name: string;
  readonly hostAddress: string;
  readonly nodeAddress: string;
  private readonly hostLink: string;

  constructor() {
    requireRoot();
    const id = randomBytes(3).toString('hex');
    const subnet = 1 + (parseInt(id.slice(0, 2), 16) % 250);
    this.name = `hpc-${id}`;
    this.hostLink = `hv${id}a`;
    this.hostAddress = `10.213.${subnet}.1`;
    this.nodeAddress = `10.213.${subnet}.2`;
    addVethNamespace({ name: this.name, hostLink: this.hostLink, nodeLink: `hv${id}b`, nodeAddress: this.nodeAddress });
    ip('addr', 'add', `${this.hostAddress}/24`, 'dev', this.hostLink);
    ip('link', 'set', this.hostLink, 'up');
  }

  /** The command line that runs `argv` inside the namespace. */
  exec(argv: string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.name, ...argv]];
  }

  /**
   * Another address of this machine, on the host's end of the veth but outside the node's subnet:
   * the node has no route to it (no default route), while this machine reaches the node as before.
   */
  addHostOnlyAddress(): string {
    const [a, b, subnet] = this.hostAddress.split('.');
    const address = `${a}.${Number(b) + 1}.${subnet}.1`;
    ip('addr', 'add', `${address}/32`, 'dev', this.hostLink);
    return address;
  }

  cutLink(): void {
    ip('link', 'set', this.hostLink, 'down');
  }

  remove(): void {
    removeVethNamespace({ name: this.name, hostLink: this.hostLink });
  }
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('network namespaces need root: run the tests as root (CI does)');
}

/**
 * Namespace `name` with `lo` up and a veth pair into this namespace: `nodeLink` inside, up, with
 * `nodeAddress`/24; `hostLink` here, down and without an address, for the caller to wire.
 */
export function addVethNamespace({ name, hostLink, nodeLink, nodeAddress }: { name: string; hostLink: string; nodeLink: string; nodeAddress: string }): void {
  ip('netns', 'add', name);
  ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', nodeLink);
  ip('link', 'set', nodeLink, 'netns', name);
  ip('-n', name, 'addr', 'add', `${nodeAddress}/24`, 'dev', nodeLink);
  ip('-n', name, 'link', 'set', nodeLink, 'up');
  ip('-n', name, 'link', 'set', 'lo', 'up');
}

/**
 * Deletes what addVethNamespace made. Our end of the veth goes first: the kernel frees a deleted
 * namespace (and its end of the pair) only once nothing holds it, which a socket still retrying
 * over a cut link can do for minutes.
 */
export function removeVethNamespace({ name, hostLink }: { name: string; hostLink: string }): void {
  try {
    ip('link', 'del', hostLink);
  } finally {
    ip('netns', 'del', name);
  }
}

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}
