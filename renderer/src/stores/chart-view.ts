import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { SeriesAxis, SeriesWindow, SeriesWindowQuery } from '../../../shared/series-window.js';
import { useConnectionStore } from './connection.js';

/** How curves are drawn (axis, smoothing, log scale), the same on a run's page and in a comparison; and where they come from. */
export const useChartViewStore = defineStore('chart-view', () => {
  const connection = useConnectionStore();
  const axis = ref<SeriesAxis>('step');
  const smoothing = ref(0.6);
  const logScale = ref(false);

  function fetchWindow(query: SeriesWindowQuery): Promise<SeriesWindow> {
    const client = connection.client;
    if (!client) return Promise.reject(new Error('not connected to HPC Studio'));
    return client.api.getSeriesWindow(query);
  }

  return { axis, smoothing, logScale, fetchWindow };
});
