import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { LOCAL_CLUSTER, type ClusterTarget } from '../../../shared/cluster-job.js';
import { usePeersStore } from './peers.js';

/** Which cluster the Cluster panel is about: this machine's, or the one whose login node is an ssh:// peer. */
export const useClusterTargetStore = defineStore('cluster-target', () => {
  const peers = usePeersStore();
  /** `local`, or the peer's ssh:// URL. */
  const choice = ref<string>('local');
  const loginNodes = computed(() => peers.peers.filter((p) => p.url.startsWith('ssh://')).map((p) => ({ url: p.url, label: p.description?.hostname ?? p.url })));
  const target = computed<ClusterTarget>(() => (choice.value === 'local' ? LOCAL_CLUSTER : { kind: 'ssh', url: choice.value }));

  // A removed peer is no cluster to talk to any more.
  watch(loginNodes, (nodes) => {
    if (choice.value !== 'local' && !nodes.some((n) => n.url === choice.value)) choice.value = 'local';
  });

  return { choice, loginNodes, target };
});
