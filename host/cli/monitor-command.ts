import type { HardwareSample } from '../../shared/hardware-sample.js';
import { SAMPLE_INTERVAL_MS } from '../../shared/hardware-sample.js';
import { createHardwareMonitor } from '../monitor/hardware-monitor.js';
import { EXIT } from './exit-codes.js';
import { formatSample } from './monitor-table.js';

export interface MonitorOptions {
  intervalMs: string;
  count?: string;
  json: boolean;
}

/** `hpc-studio monitor`: the hardware sampler, headless, until Ctrl-C or `--count` samples. */
export async function monitorCommand(options: MonitorOptions): Promise<number> {
  const intervalMs = Number(options.intervalMs);
  const { min, max } = SAMPLE_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < min || intervalMs > max) {
    process.stderr.write(`error: --interval-ms: must be an integer from ${min} to ${max} (1–20 Hz) (got ${JSON.stringify(options.intervalMs)})\n`);
    return EXIT.badInput;
  }
  const count = options.count === undefined ? Infinity : Number(options.count);
  if (count !== Infinity && (!Number.isInteger(count) || count < 1)) {
    process.stderr.write(`error: --count: must be a positive integer (got ${JSON.stringify(options.count)})\n`);
    return EXIT.badInput;
  }
  const monitor = createHardwareMonitor(intervalMs, { keepAlive: true });
  const tty = process.stdout.isTTY && !options.json;
  let seen = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  monitor.onSample((sample) => {
    // The first reading has no rates yet (they need two); it is not shown.
    if (sample.cpu.totalPercent === null) return;
    if (options.json) process.stdout.write(JSON.stringify(jsonView(sample)) + '\n');
    else process.stdout.write((tty ? '\x1b[H\x1b[2J' : '') + formatSample(sample, 1000 / intervalMs).join('\n') + '\n' + (tty ? '' : '\n'));
    if (++seen >= count) finish();
  });
  process.once('SIGINT', finish);
  process.once('SIGTERM', finish);
  await monitor.start();
  await finished;
  monitor.stop();
  return EXIT.done;
}

/** The `--json` line: `gpuStatus` only when no GPU can be read, as the CLI contract says. */
function jsonView(sample: HardwareSample): object {
  const { gpuStatus, ...rest } = sample;
  return sample.gpus.length === 0 ? { ...rest, gpuStatus } : rest;
}
