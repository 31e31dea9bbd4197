import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** A link's token bucket: `tc qdisc … tbf rate R burst B latency L` on both ends of every veth. */
export interface LinkShape {
  rateBitsPerSec: number;
  burstBytes: number;
  /** How long a packet may queue before tbf drops it; sets the queue's length (rate × latency). */
  latencyMs: number;
}

/** One simulated node: a namespace joined to the root namespace by its own veth pair. */
export interface SimulatedNode {
  namespace: string;
  /** The veth end left in the root namespace (the switch port). */
  hostLink: string;
  /** The veth end inside the namespace (the node's NIC). */
  nodeLink: string;
  hostAddress: string;
  nodeAddress: string;
}

export interface SwitchedNamespacesOptions {
  nodes: number;
  /** Node k (0-based) gets 10.214.(firstSubnet + k).0/24. */
  firstSubnet: number;
  /** null: no qdisc, the veths run as fast as this machine's CPUs move packets. */
  shape: LinkShape | null;
}

/**
 * Simulated cluster nodes on one machine: `nodes` network namespaces, each with one veth pair to
 * the root namespace (root end 10.214.K.1/24, node end 10.214.K.2/24, a default route via the
 * root end), and the root namespace forwarding between the veths like a switch. Forwarding is
 * turned on per veth (net.ipv4.conf.<veth>.forwarding), not with the global ip_forward: the
 * host's other interfaces keep routing as they did, and the setting goes with the link, so there
 * is nothing to restore. Both ends of every veth get the same tbf, so each direction of each link
 * is shaped, and a node-to-node packet crosses two shaped links as it would through a switch.
 * Needs root.
 */
export class SwitchedNamespaces {
  readonly nodes: SimulatedNode[] = [];
  private removed = false;

  private constructor(readonly shape: LinkShape | null) {}

  static create({ nodes, firstSubnet, shape }: SwitchedNamespacesOptions): SwitchedNamespaces {
    if (process.getuid?.() !== 0) {
      throw new Error(`simulated nodes need root (ip netns, tc): run as root; this process runs as uid ${process.getuid?.()}`);
    }
    if (!Number.isInteger(nodes) || nodes < 1 || firstSubnet < 1 || firstSubnet + nodes - 1 > 254) {
      throw new RangeError(`nodes ${nodes} from subnet ${firstSubnet}: the subnets must lie within 10.214.1.0 to 10.214.254.0`);
    }
    const taken = ip('-4', '-o', 'addr', 'show');
    for (let k = firstSubnet; k < firstSubnet + nodes; k++) {
      if (taken.includes(` 10.214.${k}.`)) throw new Error(`10.214.${k}.0/24 is already in use in the root namespace (another run's nodes?): \`ip -4 addr show\``);
    }
    const cluster = new SwitchedNamespaces(shape);
    const id = randomBytes(3).toString('hex');
    try {
      for (let k = 0; k < nodes; k++) cluster.addNode(id, k, firstSubnet + k);
    } catch (error) {
      cluster.remove();
      throw error;
    }
    return cluster;
  }

  private addNode(id: string, k: number, subnet: number): void {
    const node: SimulatedNode = {
      namespace: `hpcsc-${id}-${k}`,
      hostLink: `sc${id}${k}h`,
      nodeLink: `sc${id}${k}n`,
      hostAddress: `10.214.${subnet}.1`,
      nodeAddress: `10.214.${subnet}.2`,
    };
    ip('netns', 'add', node.namespace);
    this.nodes.push(node);
    ip('link', 'add', node.hostLink, 'type', 'veth', 'peer', 'name', node.nodeLink, 'netns', node.namespace);
    ip('addr', 'add', `${node.hostAddress}/24`, 'dev', node.hostLink);
    ip('link', 'set', node.hostLink, 'up');
    ip('-n', node.namespace, 'addr', 'add', `${node.nodeAddress}/24`, 'dev', node.nodeLink);
    ip('-n', node.namespace, 'link', 'set', node.nodeLink, 'up');
    ip('-n', node.namespace, 'link', 'set', 'lo', 'up');
    ip('-n', node.namespace, 'route', 'add', 'default', 'via', node.hostAddress);
    run('sysctl', ['-q', '-w', `net.ipv4.conf.${node.hostLink}.forwarding=1`]);
    if (!this.shape) return;
    run('tc', ['qdisc', 'add', 'dev', node.hostLink, 'root', ...tbfArgs(this.shape)]);
    run('ip', ['netns', 'exec', node.namespace, 'tc', 'qdisc', 'add', 'dev', node.nodeLink, 'root', ...tbfArgs(this.shape)]);
  }

  /** The command line that runs `argv` inside node `k`'s namespace. */
  exec(k: number, argv: string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.nodes[k]!.namespace, ...argv]];
  }

  /**
   * Deletes every veth pair (both qdiscs and the per-veth forwarding go with it), then every
   * namespace. The links are deleted first because a deleted namespace frees its devices later, in
   * the kernel's own time. Safe to call twice, and synchronous so a signal handler can call it.
   */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    const failures: string[] = [];
    for (const node of this.nodes) {
      for (const args of [['link', 'del', node.hostLink], ['netns', 'del', node.namespace]]) {
        try {
          ip(...args);
        } catch (error) {
          if (!/Cannot find device/.test((error as Error).message)) failures.push((error as Error).message);
        }
      }
    }
    if (failures.length) throw new Error(`could not remove every simulated node: ${failures.join('; ')}`);
  }
}

/** `tbf rate … burst … latency …` as tc takes it, in bytes and bits per second so nothing is rounded by unit suffixes. */
export function tbfArgs({ rateBitsPerSec, burstBytes, latencyMs }: LinkShape): string[] {
  return ['tbf', 'rate', `${rateBitsPerSec}bit`, 'burst', `${burstBytes}b`, 'latency', `${latencyMs}ms`];
}

function ip(...args: string[]): string {
  return run('ip', args);
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`${command} ${args.join(' ')}: ${stderr || (error as Error).message}`);
  }
}
