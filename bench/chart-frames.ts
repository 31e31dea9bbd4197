import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { ApiClient } from '../shared/api-client.js';
import { SeriesWindowQuery } from '../shared/series-window.js';
import { createStudioHost } from '../host/studio-host.js';
import { packageRoot } from '../host/package-root.js';
import { forkTrainer } from '../host/trainer-process.js';
import { startWebServer } from '../host/web/web-server.js';
import { launchChromium } from '../tests/support/browser.js';
import { connectWebSocket } from '../tests/support/ws-client.js';
import { percentile, printReport } from './bench-report.js';
import { writeLongRun } from './long-run-log.js';

/**
 * A stored run of 1,000,000 steps, in Debian's Chromium:
 * - HPC Studio: time to first draw (cold: log parsed; warm: series.cache), frame times while
 *   zooming and panning with the mouse, and the host's answer time for a zoom window;
 * - baseline, same run: ECharts (the same build) drawing the same million raw points in one
 *   line chart with its default inside/slider data zoom, and again with its own `sampling: 'lttb'`.
 * Frame time is the interval between animation frames during the interaction (16.7 ms = 60 fps).
 */
const STEPS = Number(process.env.BENCH_POINTS ?? 1_000_000);
const root = packageRoot();
const VIEWPORT = { width: 1440, height: 900 };

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50Ms: +percentile(s, 50).toFixed(1), p95Ms: +percentile(s, 95).toFixed(1), maxMs: +(s.at(-1) ?? NaN).toFixed(1) };
};

// Page-side code as strings: this script is compiled for Node, without the DOM's types.
const START_FRAMES = `(() => {
  window.__frames = []; window.__recording = true;
  let last = performance.now();
  const tick = (now) => { window.__frames.push(now - last); last = now; if (window.__recording) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})()`;
const STOP_FRAMES = `(() => { window.__recording = false; return window.__frames.slice(1); })()`;
const LOSS_CHART_DRAWN = `document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-visible-max')`;

/** Records frame intervals while `interact` runs. */
async function frameTimes(page: Page, interact: () => Promise<void>): Promise<number[]> {
  await page.evaluate(START_FRAMES);
  await interact();
  return page.evaluate<number[]>(STOP_FRAMES);
}

/** The same gestures on any chart: wheel in, drag to pan both ways, wheel out. */
async function zoomAndPan(page: Page, box: { x: number; y: number; width: number; height: number }): Promise<void> {
  const cx = box.x + box.width * 0.6;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  for (let i = 0; i < 12; i++) {
    await page.mouse.wheel(0, -300);
    await page.waitForTimeout(60);
  }
  for (const dir of [1, -1]) {
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let i = 1; i <= 15; i++) {
      await page.mouse.move(cx + dir * i * 12, cy);
      await page.waitForTimeout(16);
    }
    await page.mouse.up();
    await page.waitForTimeout(100);
  }
  for (let i = 0; i < 12; i++) {
    await page.mouse.wheel(0, 300);
    await page.waitForTimeout(60);
  }
  await page.waitForTimeout(300);
}

async function studio(dataDir: string, runId: string) {
  const host = createStudioHost({ dataDir, version: 'bench', spawnTrainer: forkTrainer(join(root, 'dist', 'trainer', 'main.js')) });
  const server = await startWebServer({ host: '127.0.0.1', port: 0, uiRoot: join(root, 'out', 'renderer'), service: host.service });
  const browser = await launchChromium();
  try {
    /** From opening the app to the run's loss curve on screen: listing the run reads it too. */
    const firstDraw = async (): Promise<number> => {
      const page = await browser.newPage({ viewport: VIEWPORT });
      const started = performance.now();
      await page.goto(server.url);
      await page.getByTestId('run-item').first().click();
      await page.waitForFunction(LOSS_CHART_DRAWN, undefined, { timeout: 120_000, polling: 'raf' });
      const took = performance.now() - started;
      await page.close();
      return took;
    };
    rmSync(join(dataDir, 'runs', runId, 'series.cache'), { force: true });
    const cold = await firstDraw();
    // Warm: a fresh host process would start with an empty memory cache but find series.cache.
    const warm: number[] = [];
    for (let i = 0; i < 3; i++) {
      const fresh = createStudioHost({ dataDir, version: 'bench', spawnTrainer: forkTrainer(join(root, 'dist', 'trainer', 'main.js')) });
      const t = performance.now();
      fresh.store.summary(runId, false);
      fresh.store.seriesWindow(runId, false, SeriesWindowQuery.parse({ runId, metrics: ['loss', 'valLoss'], axis: 'step', buckets: 600 }));
      warm.push(performance.now() - t);
    }
    const warmPage = await firstDraw();

    const page = await browser.newPage({ viewport: VIEWPORT });
    await page.goto(server.url);
    await page.getByTestId('run-item').first().click();
    const chart = page.getByTestId('loss-chart');
    await page.waitForFunction(LOSS_CHART_DRAWN);
    const frames = await frameTimes(page, async () => zoomAndPan(page, (await chart.locator('canvas').first().boundingBox())!));
    await page.close();

    // The host's answer for zoom windows: in process, and over the WebSocket as the renderer asks.
    const inProcess: number[] = [];
    const overWs: number[] = [];
    const connection = await connectWebSocket(server.port, { authorization: `Bearer ${server.token}` });
    const client = new ApiClient(connection.channel);
    for (let i = 0; i < 60; i++) {
      const span = STEPS / 2 ** (1 + (i % 12));
      const from = Math.random() * (STEPS - span);
      const q = { runId, metrics: ['loss', 'valLoss'] as const, axis: 'step' as const, buckets: 600, smoothing: 0.6, from, to: from + span };
      let t = performance.now();
      host.store.seriesWindow(runId, false, SeriesWindowQuery.parse({ ...q, metrics: [...q.metrics] }));
      inProcess.push(performance.now() - t);
      t = performance.now();
      await client.api.getSeriesWindow({ ...q, metrics: [...q.metrics] });
      overWs.push(performance.now() - t);
    }
    connection.socket.close();
    return { firstDrawColdMs: Math.round(cold), firstDrawWarmMs: Math.round(warmPage), hostOpenFromCacheMs: stats(warm), frames: stats(frames), windowInProcess: stats(inProcess), windowOverWebSocket: stats(overWs) };
  } finally {
    await browser.close();
    await server.close();
  }
}

/** Plain ECharts with every point, served from its own page (same ECharts build as the app). */
async function baseline(dataDir: string, runId: string, sampling: 'none' | 'lttb') {
  const host = createStudioHost({ dataDir, version: 'bench', spawnTrainer: forkTrainer(join(root, 'dist', 'trainer', 'main.js')) });
  const log = host.store.readLog(runId);
  const xy = new Float64Array(STEPS * 2);
  let n = 0;
  for (const r of log.records) if (r.type === 'step') (xy[n++] = r.step), (xy[n++] = r.loss);
  const echarts = readFileSync(join(root, 'node_modules', 'echarts', 'dist', 'echarts.min.js'));
  const html = `<!doctype html><html><body style="margin:0"><div id="c" style="width:700px;height:300px"></div>
<script src="/echarts.js"></script><script>
fetch('/data.bin').then(r => r.arrayBuffer()).then(buf => {
  const xy = new Float64Array(buf); const data = new Array(xy.length / 2);
  for (let i = 0; i < data.length; i++) data[i] = [xy[2*i], xy[2*i+1]];
  const chart = echarts.init(document.getElementById('c'));
  const t0 = performance.now();
  chart.on('finished', () => { if (!window.firstDrawMs) window.firstDrawMs = performance.now() - t0; });
  chart.setOption({ animation: false, grid: { left: 56, right: 16, top: 36, bottom: 56 }, tooltip: { trigger: 'axis' },
    xAxis: { type: 'value' }, yAxis: { type: 'value', scale: true },
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 8 }],
    series: [{ type: 'line', data, showSymbol: false, lineStyle: { width: 1 }${sampling === 'lttb' ? ", sampling: 'lttb'" : ''} }] });
});
</script></body></html>`;
  const server: Server = createServer((req, res) => {
    if (req.url === '/echarts.js') return res.end(echarts);
    if (req.url === '/data.bin') return res.end(Buffer.from(xy.buffer));
    res.setHeader('content-type', 'text/html');
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    await page.waitForFunction('window.firstDrawMs', undefined, { timeout: 300_000 });
    const firstDraw = await page.evaluate<number>('window.firstDrawMs');
    const frames = await frameTimes(page, async () => zoomAndPan(page, (await page.locator('#c canvas').boundingBox())!));
    return { firstDrawMs: Math.round(firstDraw), frames: stats(frames) };
  } finally {
    await browser.close();
    await new Promise((r) => server.close(r));
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'bench-charts-'));
const started = performance.now();
const run = writeLongRun(dataDir, STEPS);
const generatedMs = performance.now() - started;
const app = await studio(dataDir, run.runId);
const raw = await baseline(dataDir, run.runId, 'none');
const lttb = await baseline(dataDir, run.runId, 'lttb');
rmSync(dataDir, { recursive: true, force: true });
printReport('charts over a million-point run', {
  points: STEPS,
  logWriteMs: Math.round(generatedMs),
  app: { what: 'HPC Studio run page (loss, accuracy, lr charts linked): M4 windows from the host', ...app },
  baseline: { what: 'ECharts, the same million raw points, default data zoom, no sampling', ...raw },
  baselineLttb: { what: "ECharts, the same million points with its own sampling: 'lttb'", ...lttb },
});
process.exit(0);
