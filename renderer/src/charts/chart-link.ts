import type { EChartsType } from 'echarts/core';

interface Linked {
  chart: EChartsType;
  /** Applies another chart's visible x range (start/end in percent of the whole run). */
  zoomTo(start: number, end: number): void;
}

/**
 * Links the charts of one page: hovering one shows the same x in the others at once, and a zoom
 * or pan is copied to the others once the gesture settles. ECharts' own `connect` copies every
 * zoom frame to every chart, which drops frames below 60 fps with three charts of a long run.
 */
/** Hover is not relayed while a zoom or pan is under way, nor this long after it: redrawing every chart's tooltip each frame of a drag costs frames. */
const GESTURE_QUIET_MS = 300;

export class ChartLink {
  private readonly members = new Set<Linked>();
  private relaying = false;
  private gestureUntil = 0;

  constructor(private readonly onEmpty: () => void = () => {}) {}

  join(member: Linked): () => void {
    this.members.add(member);
    const { chart } = member;
    // The pointer moves many times a frame while dragging: relay only the last position, once a frame.
    let pending: number | null = null;
    const onPointer = (...args: unknown[]) => {
      const x = (args[0] as { axesInfo?: { value: number }[] }).axesInfo?.[0]?.value;
      if (x === undefined || this.relaying) return;
      if (pending === null) requestAnimationFrame(() => relayPointer());
      pending = x;
    };
    const relayPointer = () => {
      const x = pending;
      pending = null;
      if (x === null || performance.now() < this.gestureUntil) return;
      this.relay(member, (other) => {
        const [px] = other.chart.convertToPixel({ xAxisIndex: 0, yAxisIndex: 0 }, [x, 0]) as number[];
        if (px !== undefined && Number.isFinite(px)) other.chart.dispatchAction({ type: 'showTip', x: px, y: other.chart.getHeight() / 3 });
      });
    };
    const onOut = () => this.relay(member, (other) => other.chart.dispatchAction({ type: 'hideTip' }));
    const onGesture = () => {
      if (this.relaying) return;
      if (performance.now() >= this.gestureUntil) onOut();
      this.gestureUntil = performance.now() + GESTURE_QUIET_MS;
    };
    chart.on('updateAxisPointer', onPointer);
    chart.on('globalout', onOut);
    chart.on('datazoom', onGesture);
    return () => {
      chart.off('updateAxisPointer', onPointer);
      chart.off('globalout', onOut);
      chart.off('datazoom', onGesture);
      this.members.delete(member);
      if (this.members.size === 0) this.onEmpty();
    };
  }

  /** `from` settled on a new visible range. */
  zoomed(from: Linked, start: number, end: number): void {
    this.relay(from, (other) => other.zoomTo(start, end));
  }

  private relay(from: Linked, action: (other: Linked) => void): void {
    // A relayed tooltip or zoom fires the same events on its target: don't echo them back.
    if (this.relaying) return;
    this.relaying = true;
    try {
      for (const other of this.members) if (other !== from) action(other);
    } finally {
      this.relaying = false;
    }
  }
}

const links = new Map<string, ChartLink>();

/** The link for a group name, made on first use. */
export function chartLink(group: string): ChartLink {
  let link = links.get(group);
  if (!link) links.set(group, (link = new ChartLink(() => links.delete(group))));
  return link;
}
