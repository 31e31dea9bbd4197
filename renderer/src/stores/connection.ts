import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ApiClient } from '../../../shared/api-client.js';
import type { StudioInfo } from '../../../shared/api-contract.js';
import { connectApi, type Transport } from '../api/connect.js';
import { SessionRefused } from '../api/ws-channel.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'refused';

/** The link to the host: connects, reconnects with backoff, and hands the client to the other stores. */
export const useConnectionStore = defineStore('connection', () => {
  const state = ref<ConnectionState>('connecting');
  const transport = ref<Transport | null>(null);
  const info = ref<StudioInfo | null>(null);
  const problem = ref<string | null>(null);
  const client = shallowRef<ApiClient | null>(null);
  const listeners: ((client: ApiClient) => void)[] = [];
  let attempt = 0;

  /** Called with each new client, after every (re)connection. */
  function onConnected(listener: (client: ApiClient) => void): void {
    listeners.push(listener);
    if (client.value) listener(client.value);
  }

  async function connect(): Promise<void> {
    try {
      const connected = await connectApi((message) => (problem.value = message));
      attempt = 0;
      client.value = connected.client;
      transport.value = connected.transport;
      info.value = await connected.client.api.getInfo({});
      state.value = 'connected';
      problem.value = null;
      connected.client.on('runs-changed', () => void refreshInfo().catch(() => {}));
      for (const l of listeners) l(connected.client);
      watchForClose(connected.client);
    } catch (error) {
      if (error instanceof SessionRefused) {
        // The server is up and turned this page away: retrying cannot help, a fresh link can.
        client.value = null;
        state.value = 'refused';
        problem.value = 'Session expired — open the URL printed by `hpc-studio serve`.';
        return;
      }
      retry();
    }
  }

  async function refreshInfo(): Promise<void> {
    if (client.value) info.value = await client.value.api.getInfo({});
  }

  function watchForClose(c: ApiClient): void {
    void c.whenClosed.then(() => {
      if (client.value === c) retry();
    });
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Seconds until the next attempt, for the banner. */
  const retryInSec = ref(0);

  function retry(): void {
    state.value = 'reconnecting';
    const delay = Math.min(10_000, 500 * 2 ** attempt++);
    retryInSec.value = Math.ceil(delay / 1000);
    clearTimeout(timer);
    timer = setTimeout(() => void connect(), delay);
  }

  /** Try again now (the banner's button), instead of waiting for the backoff. */
  function retryNow(): void {
    clearTimeout(timer);
    state.value = state.value === 'refused' ? 'connecting' : state.value;
    void connect();
  }

  return { state, transport, info, problem, client, retryInSec, connect, retryNow, onConnected, refreshInfo };
});
