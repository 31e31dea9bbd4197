import { describe, expect, it } from 'vitest';
import { configFromFlags } from '../../host/cli/config-from-flags.js';
import { linksToProbe, planRoutes, ringLinks, type PeerReach } from '../../host/distributed/ring-route-plan.js';

const base = { dataset: 'fashion-mnist', datasetDir: '/data', model: 'mlp' };

// The run's peers: 0 and 1 on this machine, 2 and 3 nodes over SSH, 4 a node's agent (ws://).
const kinds: PeerReach[] = ['local', 'local', 'ssh', 'ssh', 'agent'];
const reach = (peer: number) => kinds[peer]!;
const relayed = (routes: ReturnType<typeof planRoutes>) => routes.filter((r) => r.via === 'ssh-relay').map((r) => `${r.peer}>${r.toPeer}`);

describe('which ring links the app relays over SSH', () => {
  it('links each rank to the rank before it', () => {
    expect(ringLinks([0, 2, 3])).toEqual([
      { rank: 0, peer: 0, toPeer: 3 },
      { rank: 1, peer: 2, toPeer: 0 },
      { rank: 2, peer: 3, toPeer: 2 },
    ]);
    expect(ringLinks([0])).toEqual([]);
  });

  it('ssh relays every link but those between trainers on this machine', () => {
    const links = ringLinks([0, 1, 2, 3]);
    expect(relayed(planRoutes(links, 'ssh', reach, new Set()))).toEqual(['0>3', '2>1', '3>2']);
    expect(linksToProbe(links, 'ssh', reach)).toEqual([]);
  });

  it('auto probes the links it could relay and relays only those that failed', () => {
    const links = ringLinks([0, 1, 2, 4, 3]);
    expect(linksToProbe(links, 'auto', reach).map((l) => `${l.peer}>${l.toPeer}`)).toEqual(['0>3', '2>1']);
    expect(relayed(planRoutes(links, 'auto', reach, new Set()))).toEqual([]);
    expect(relayed(planRoutes(links, 'auto', reach, new Set(['2>1'])))).toEqual(['2>1']);
    // An agent's node has no SSH connection to carry a link: even unreachable, it stays direct.
    expect(relayed(planRoutes(links, 'auto', reach, new Set(['4>2', '3>4'])))).toEqual([]);
  });

  it('direct relays nothing, whatever the probes said', () => {
    expect(relayed(planRoutes(ringLinks([0, 2, 3]), 'direct', reach, new Set(['2>0', '0>3'])))).toEqual([]);
  });
});

describe('--ring-over', () => {
  it('takes direct, ssh or auto, and needs --peers', () => {
    const ok = configFromFlags({ ...base, peers: 'local,ssh://me@node-7', ringOver: 'ssh' });
    expect(ok.ok && ok.config.distribution?.ringTransport).toBe('ssh');
    expect(configFromFlags({ ...base, peers: 'local,local', ringOver: 'pigeon' })).toEqual({
      ok: false,
      errors: [{ field: 'ringOver', message: '--ring-over: must be direct, ssh or auto (got "pigeon")' }],
    });
    expect(configFromFlags({ ...base, ringOver: 'ssh' })).toMatchObject({ ok: false, errors: [{ field: 'ringOver', message: '--ring-over: needs --peers (the peers to train on)' }] });
  });

  it('ssh refuses a peer it cannot reach over SSH, naming it', () => {
    expect(configFromFlags({ ...base, peers: 'local,ssh://me@node-7,ws://node-8:7077', ringOver: 'ssh', interface: '10.0.0.2' })).toEqual({
      ok: false,
      errors: [
        {
          field: 'ringOver',
          message: "--ring-over: ssh carries the ring over the peers' SSH connections: every peer but `local` must be ssh://USER@HOST[:PORT] (peer 2 is ws://node-8:7077) (got \"ssh\")",
        },
      ],
    });
  });

  it('needs no --interface when SSH relays can carry the links into this machine', () => {
    expect(configFromFlags({ ...base, peers: 'local,ssh://me@node-7', ringOver: 'ssh' }).ok).toBe(true);
    expect(configFromFlags({ ...base, peers: 'local,ssh://me@node-7' }).ok).toBe(true);
    expect(configFromFlags({ ...base, peers: 'local,ssh://me@node-7', ringOver: 'direct' })).toMatchObject({ ok: false, errors: [{ field: 'interface' }] });
  });
});
