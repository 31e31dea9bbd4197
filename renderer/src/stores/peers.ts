import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { DEFAULT_MICRO_BATCHES, isLoopback, peerHost, type Distribution } from '../../../shared/distributed.js';
import type { AddSshPeerResult, PeerStatus } from '../../../shared/peer-status.js';
import { ApiError } from '../../../shared/rpc-protocol.js';
import { useConnectionStore } from './connection.js';

/** An add's failure as the form shows it: next to the field it names, or under the form. */
function errorsByField(e: unknown): Record<string, string> {
  return e instanceof ApiError && e.error.fields ? Object.fromEntries(e.error.fields.map((f) => [f.field, f.message])) : { '(add)': (e as Error).message };
}

/** The Peers panel's agents as the host watches them, and which of them the next run trains on. */
export const usePeersStore = defineStore('peers', () => {
  const connection = useConnectionStore();
  const peers = ref<PeerStatus[]>([]);
  const adding = ref(false);
  /** The add form's errors by field (`url`, `token`), or `(add)` for the rest. */
  const addErrors = ref<Record<string, string>>({});
  /** The agents chosen for the next run, besides this machine (which leads it). */
  const chosen = ref<string[]>([]);
  /** This machine's address that peers on other machines reach its trainer on. */
  const iface = ref('');
  /** How the next run's peers split the work: each its share of every batch, or each a stage of the model. */
  const parallel = ref<Distribution['parallel']>('data');
  const microBatches = ref(DEFAULT_MICRO_BATCHES);
  /** Send the run's dataset from here to the nodes that lack it, instead of each node reading its own. */
  const sendDataset = ref(false);

  connection.onConnected((client) => {
    void client.api.listPeers({}).then((list) => (peers.value = list), () => {});
    client.on('peers-changed', ({ peers: list }) => {
      peers.value = list;
      chosen.value = chosen.value.filter((url) => list.some((p) => p.url === url));
    });
  });

  /** One add: errors cleared, the form busy meanwhile, the peer listed when `call` gives one (null: not added yet). */
  async function attempt(call: () => Promise<PeerStatus | null>): Promise<boolean> {
    addErrors.value = {};
    adding.value = true;
    try {
      const added = await call();
      if (added) peers.value = [...peers.value.filter((p) => p.url !== added.url), added];
      return added !== null;
    } catch (e) {
      addErrors.value = errorsByField(e);
      return false;
    } finally {
      adding.value = false;
    }
  }

  function add(url: string, token: string): Promise<boolean> {
    return attempt(() => connection.client!.api.addPeer({ url, token }));
  }

  /** A node over SSH whose host key the user is to judge before it is added. */
  const unknownHost = ref<Extract<AddSshPeerResult, { kind: 'unknown-host' }> | null>(null);

  /** Adds a node over SSH; a host not in known_hosts first comes back as `unknownHost`, and `trust` adds it. */
  function addSsh(fields: { host: string; port: number; user: string; identityFile?: string }, trust?: string): Promise<boolean> {
    return attempt(async () => {
      const result = await connection.client!.api.addSshPeer({ ...fields, trust });
      unknownHost.value = result.kind === 'unknown-host' ? result : null;
      return result.kind === 'added' ? result.peer : null;
    });
  }

  async function remove(url: string): Promise<void> {
    await connection.client!.api.removePeer({ url });
    peers.value = peers.value.filter((p) => p.url !== url);
    chosen.value = chosen.value.filter((u) => u !== url);
  }

  function toggle(url: string): void {
    chosen.value = chosen.value.includes(url) ? chosen.value.filter((u) => u !== url) : [...chosen.value, url];
  }

  /** Whether the chosen peers include one on another machine, which must reach this one. */
  const needsInterface = computed(() => chosen.value.some((url) => !isLoopback(peerHost(url) ?? 'localhost')));

  /** The run config's `distribution` for the chosen peers; none chosen, a plain run. */
  const distribution = computed<Distribution | undefined>(() =>
    chosen.value.length === 0
      ? undefined
      : {
          parallel: parallel.value,
          peers: ['local', ...chosen.value],
          ...(iface.value.trim() ? { interface: iface.value.trim() } : {}),
          ...(parallel.value === 'model' ? { microBatches: microBatches.value } : {}),
          ...(sendDataset.value ? { dataset: 'upload' as const } : {}),
        },
  );

  return { peers, adding, addErrors, unknownHost, chosen, iface, parallel, microBatches, sendDataset, needsInterface, distribution, add, addSsh, remove, toggle };
});
