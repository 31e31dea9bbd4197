import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';
import type { HardwareSample } from '../../../shared/hardware-sample.js';
import { useConnectionStore } from './connection.js';

/** How many samples the System panel keeps for its sparklines. */
const KEEP = 600;

/** Live hardware readings: the recent history on connect, then batches as the host sends them. */
export const useSystemStore = defineStore('system', () => {
  const connection = useConnectionStore();
  const samples = shallowRef<HardwareSample[]>([]);
  const intervalMs = ref(200);
  const error = ref<string | null>(null);
  const latest = computed(() => samples.value.at(-1) ?? null);

  connection.onConnected((client) => {
    void client.api.getHardware({}).then((h) => {
      intervalMs.value = h.intervalMs;
      samples.value = h.samples.slice(-KEEP);
    }, () => {});
    client.on('hardware-samples', ({ samples: batch }) => {
      const list = samples.value;
      list.push(...batch);
      if (list.length > KEEP) list.splice(0, list.length - KEEP);
      triggerRef(samples);
    });
  });

  async function setRate(hz: number): Promise<void> {
    error.value = null;
    try {
      const ms = Math.round(1000 / hz);
      await connection.client!.api.setSampleInterval({ intervalMs: ms });
      intervalMs.value = ms;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  return { samples, latest, intervalMs, error, setRate };
});
