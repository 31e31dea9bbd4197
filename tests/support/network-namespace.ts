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
    if (process.getuid?.() !== 0) throw new Error('network namespaces need root: run the tests as root (CI does)');
    const id = randomBytes(3).toString('hex');
    const subnet = 1 + (parseInt(id.slice(0, 2), 16) % 250);
    this.name = `hpc-${id}`;
    this.hostLink = `hv${id}a`;
    const nodeLink = `hv${id}b`;
    this.hostAddress = `10.213.${subnet}.1`;
    this.nodeAddress = `10.213.${subnet}.2`;
    ip('netns', 'add', this.name);
    ip('link', 'add', this.hostLink, 'type', 'veth', 'peer', 'name', nodeLink);
    ip('link', 'set', nodeLink, 'netns', this.name);
    ip('addr', 'add', `${this.hostAddress}/24`, 'dev', this.hostLink);
    ip('link', 'set', this.hostLink, 'up');
    ip('-n', this.name, 'addr', 'add', `${this.nodeAddress}/24`, 'dev', nodeLink);
    ip('-n', this.name, 'link', 'set', nodeLink, 'up');
    ip('-n', this.name, 'link', 'set', 'lo', 'up');
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
    ip('netns', 'del', this.name);
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
