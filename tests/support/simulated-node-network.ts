import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addVethNamespace, ip, removeVethNamespace, requireRoot } from './network-namespace.js';

export interface SimulatedNode {
  /** The node's host name: what `hostname` prints on it, and what its /etc/hosts resolves. */
  name: string;
  /** Its IPv4 address on the bridge's /24, the only one it has besides loopback. */
  address: string;
  /** Its network namespace. */
  namespace: string;
}

/**
 * Cluster hosts simulated on this one machine: a Linux bridge here (their switch, holding this
 * machine's address on their subnet) and per host a network namespace on a veth into the bridge,
 * with an address of its own. A process run as a host (`exec`) also gets the host's name and an
 * /etc/hosts naming every host, as a cluster's DNS would. The hosts share this machine's
 * filesystem, users and kernel; only the network and the host name are theirs.
 * Needs root (CI runs as root).
 */
export class SimulatedNodeNetwork {
  readonly bridge: string;
  /** This machine's address on the hosts' subnet: where they reach a server here (e.g. slurmctld). */
  readonly bridgeAddress: string;
  readonly nodes: readonly SimulatedNode[];
  private readonly hostLinks: string[];
  private readonly hostsFile: string;

  /** Hosts named `names`, on a free 10.214.x.0/24; `dir` keeps their /etc/hosts. */
  constructor(names: readonly string[], dir: string) {
    requireRoot();
    const id = randomBytes(3).toString('hex');
    const subnet = freeSubnet();
    this.bridge = `hbr${id}`;
    this.bridgeAddress = `10.214.${subnet}.1`;
    this.nodes = names.map((name, i) => ({ name, address: `10.214.${subnet}.${i + 2}`, namespace: `hpcn-${id}-${i + 1}` }));
    this.hostLinks = names.map((_, i) => `hn${id}h${i + 1}`);
    this.hostsFile = join(dir, 'hosts');
    writeFileSync(this.hostsFile, readFileSync('/etc/hosts', 'utf8').trimEnd() + '\n' + this.nodes.map((n) => `${n.address}\t${n.name}\n`).join(''));
    try {
      ip('link', 'add', this.bridge, 'type', 'bridge');
      ip('addr', 'add', `${this.bridgeAddress}/24`, 'dev', this.bridge);
      ip('link', 'set', this.bridge, 'up');
      this.nodes.forEach((node, i) => {
        addVethNamespace({ name: node.namespace, hostLink: this.hostLinks[i]!, nodeLink: `hn${id}n${i + 1}`, nodeAddress: node.address });
        ip('link', 'set', this.hostLinks[i]!, 'master', this.bridge);
        ip('link', 'set', this.hostLinks[i]!, 'up');
      });
    } catch (error) {
      this.remove();
      throw error;
    }
  }

  node(name: string): SimulatedNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no simulated node ${name} (nodes: ${this.nodes.map((n) => n.name).join(', ')})`);
    return node;
  }

  /**
   * The command line that runs `argv` as host `name`: in its network namespace, in new UTS and
   * mount namespaces where the host name is `name` and /etc/hosts names every host. Each step
   * execs the next, so the spawned PID ends up being `argv`'s own.
   * Not `ip netns exec`: it remounts /sys for the namespace, which hides /sys/fs/cgroup, and
   * slurmd 22.05 then refuses to start ("Unable to initialize cgroup plugin").
   */
  exec(name: string, argv: readonly string[]): [string, string[]] {
    const node = this.node(name);
    return [
      'nsenter',
      [`--net=/run/netns/${node.namespace}`, 'unshare', '--uts', '--mount', '--propagation=private', 'sh', '-c', 'hostname "$0" && mount --bind "$1" /etc/hosts && shift && exec "$@"', node.name, this.hostsFile, ...argv],
    ];
  }

  /**
   * Kills what still runs in the hosts' namespaces (all of it started by the test), then removes
   * the veths, namespaces and bridge; fails naming anything left behind. Safe on a half-built network.
   */
  remove(): void {
    for (const node of this.nodes) {
      for (const pid of attempt(() => ip('netns', 'pids', node.namespace)).split('\n').filter(Boolean)) {
        attempt(() => process.kill(Number(pid), 'SIGKILL'));
      }
    }
    this.nodes.forEach((node, i) => attempt(() => removeVethNamespace({ name: node.namespace, hostLink: this.hostLinks[i]! })));
    attempt(() => ip('link', 'del', this.bridge));
    const namespaces = ip('netns', 'list');
    const links = ip('-o', 'link', 'show');
    const left = [
      ...this.nodes.filter((n) => namespaces.includes(n.namespace)).map((n) => `namespace ${n.namespace}`),
      ...[this.bridge, ...this.hostLinks].filter((link) => new RegExp(`^\\d+: ${link}[@:]`, 'm').test(links)).map((link) => `link ${link}`),
    ];
    if (left.length > 0) throw new Error(`the simulated node network left behind: ${left.join(', ')}`);
  }
}

/** A 10.214.x.0/24 no interface here has an address in, so parallel tests' networks do not overlap. */
function freeSubnet(): number {
  const used = ip('-4', '-o', 'addr', 'show');
  for (let tries = 0; tries < 50; tries++) {
    const subnet = 1 + (randomBytes(1)[0]! % 254);
    if (!used.includes(` 10.214.${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.214.x.0/24 subnet for the simulated nodes');
}

/** Runs a teardown step that may find nothing to do (already gone, never made); '' when it failed. */
function attempt<T>(step: () => T): T | '' {
  try {
    return step();
  } catch {
    return '';
  }
}
