import type { SeriesAxis, SeriesMetric, SeriesWindow, SeriesWindowQuery } from '../../../shared/series-window.js';

export type FetchWindow = (query: SeriesWindowQuery) => Promise<SeriesWindow>;

/** What a chart draws: some metrics of some runs, on one axis. */
export interface WindowRequest {
  runs: ReadonlyMap<string, readonly SeriesMetric[]>;
  axis: SeriesAxis;
  smoothing: number;
  /** About the chart's width in pixels. */
  buckets: number;
  /** Steps to place on the axis (markers). */
  steps: readonly number[];
}

export interface LoadedLine {
  raw: [number, number][];
  smoothed: [number, number][] | null;
}

export interface VisibleWindow {
  from: number;
  to: number;
}

const pairs = (flat: readonly number[]): [number, number][] => {
  const out: [number, number][] = new Array(flat.length / 2);
  for (let i = 0; i < flat.length; i += 2) out[i / 2] = [flat[i]!, flat[i + 1]!];
  return out;
};

/** Overview points outside the detail window, the detail inside: coarse where unseen, exact where seen. */
function splice(overview: readonly number[], detail: readonly number[] | undefined): [number, number][] {
  if (!detail || detail.length === 0) return pairs(overview);
  const first = detail[0]!;
  const last = detail[detail.length - 2]!;
  const before: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < overview.length; i += 2) {
    if (overview[i]! < first) before.push(overview[i]!, overview[i + 1]!);
    else if (overview[i]! > last) after.push(overview[i]!, overview[i + 1]!);
  }
  return pairs([...before, ...detail, ...after]);
}

/**
 * Keeps a chart's data: the whole run at the chart's width (the overview), and, once the user
 * zooms, the visible window at full detail fetched from the host. Only the newest answer of each
 * kind is kept, so a fast pan never draws a stale window over a fresh one.
 */
export class SeriesWindowLoader {
  private overview = new Map<string, SeriesWindow>();
  private detail = new Map<string, SeriesWindow>();
  private overviewSeq = 0;
  private detailSeq = 0;
  private request: WindowRequest | null = null;
  visible: VisibleWindow | null = null;
  /** True while a detail window is on its way. */
  loadingDetail = false;

  constructor(
    private readonly fetch: FetchWindow,
    private readonly changed: () => void,
    private readonly failed: (error: Error) => void = () => {},
  ) {}

  /** New lines, axis or smoothing, or new points in a live run: reload what is shown. */
  async reload(request: WindowRequest): Promise<void> {
    const sameView = this.request && this.request.axis === request.axis;
    this.request = request;
    if (!sameView) {
      this.visible = null;
      this.detail.clear();
    }
    const seq = ++this.overviewSeq;
    try {
      const answers = await this.fetchAll(request, undefined);
      if (seq !== this.overviewSeq) return;
      this.overview = answers;
      this.changed();
    } catch (e) {
      this.failed(e as Error);
    }
    if (this.visible) await this.zoom(this.visible);
  }

  /** The user panned or zoomed to `window` (null: the whole run). */
  async zoom(window: VisibleWindow | null): Promise<void> {
    this.visible = window;
    const seq = ++this.detailSeq;
    if (!window || !this.request) {
      this.detail.clear();
      this.loadingDetail = false;
      this.changed();
      return;
    }
    this.loadingDetail = true;
    this.changed();
    try {
      const answers = await this.fetchAll(this.request, window);
      if (seq !== this.detailSeq) return;
      this.detail = answers;
    } catch (e) {
      if (seq === this.detailSeq) this.failed(e as Error);
    }
    if (seq === this.detailSeq) {
      this.loadingDetail = false;
      this.changed();
    }
  }

  /** The whole x range of every run shown. */
  extent(): { min: number; max: number } | null {
    let out: { min: number; max: number } | null = null;
    for (const w of this.overview.values()) {
      if (!w.extent) continue;
      out = out ? { min: Math.min(out.min, w.extent.min), max: Math.max(out.max, w.extent.max) } : { ...w.extent };
    }
    return out;
  }

  origin(runId: string): number | null {
    return this.overview.get(runId)?.origin ?? null;
  }

  xOfSteps(runId: string): (number | null)[] {
    return this.overview.get(runId)?.xOfSteps ?? [];
  }

  line(runId: string, metric: SeriesMetric): LoadedLine | null {
    const overview = this.overview.get(runId)?.lines.find((l) => l.metric === metric);
    if (!overview) return null;
    const detail = this.visible ? this.detail.get(runId)?.lines.find((l) => l.metric === metric) : undefined;
    return {
      raw: splice(overview.points, detail?.points),
      smoothed: overview.smoothed ? splice(overview.smoothed, detail?.smoothed) : null,
    };
  }

  /** Raw points of a line inside the visible window, and whether the host reduced them. */
  visibleStats(runId: string, metric: SeriesMetric): { rawCount: number; downsampled: boolean } | null {
    const source = this.visible ? this.detail.get(runId) : this.overview.get(runId);
    const line = source?.lines.find((l) => l.metric === metric);
    return line && source ? { rawCount: line.rawCount, downsampled: source.downsampled } : null;
  }

  private async fetchAll(request: WindowRequest, window: VisibleWindow | undefined): Promise<Map<string, SeriesWindow>> {
    const entries = await Promise.all(
      [...request.runs].map(async ([runId, metrics]) => {
        const answer = await this.fetch({
          runId,
          metrics: [...metrics],
          axis: request.axis,
          buckets: request.buckets,
          smoothing: request.smoothing,
          steps: [...request.steps],
          from: window?.from,
          to: window?.to,
        });
        return [runId, answer] as const;
      }),
    );
    return new Map(entries);
  }
}
