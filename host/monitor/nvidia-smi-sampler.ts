import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { GpuProcess, GpuSample, GpuStatus } from '../../shared/hardware-sample.js';
import { forEachLine } from '../output-lines.js';
import type { GpuSource } from './gpu-source.js';
import { chooseQueryFields, fieldsInHelp, parseComputeApps, parseGpuLine, parseHeader, type GpuField } from './nvidia-smi-csv.js';

export interface NvidiaSmiOptions {
  periodMs: number;
  /** The executable; tests put a stand-in first on PATH instead of changing this. */
  command?: string;
  env?: NodeJS.ProcessEnv;
  /** How often to ask which processes use each GPU (a separate, slower query). */
  processesEveryMs?: number;
  onError?: (message: string) => void;
}

/**
 * NVIDIA GPUs through one long-lived `nvidia-smi --query-gpu … -lms PERIOD` child, read by its
 * header line. It asks `--help-query-gpu` first and queries only fields this driver knows, since
 * one unknown field fails the whole query. A child that dies is restarted with backoff, and
 * readings go stale (reported as unavailable) rather than frozen.
 */
export class NvidiaSmiSampler implements GpuSource {
  private status: GpuStatus = { available: false, reason: 'starting' };
  private latest = new Map<number, { sample: GpuSample; at: number }>();
  private processes: GpuProcess[] = [];
  private child: ChildProcess | null = null;
  private processTimer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;
  private stopped = false;
  private restarting = false;
  private fields: Partial<Record<GpuField, string>> = {};
  private readonly command: string;

  constructor(private readonly o: NvidiaSmiOptions) {
    this.command = o.command ?? 'nvidia-smi';
  }

  async start(): Promise<void> {
    const help = await this.run(['--help-query-gpu']);
    if (!help.ok) {
      this.status = { available: false, reason: help.reason };
      return;
    }
    this.fields = chooseQueryFields(fieldsInHelp(help.stdout));
    if (!this.fields.index) {
      this.status = { available: false, reason: `${this.command} --help-query-gpu listed no usable fields` };
      return;
    }
    this.stream();
    const poll = () => void this.pollProcesses();
    poll();
    this.processTimer = setInterval(poll, this.o.processesEveryMs ?? 2000);
    this.processTimer.unref();
  }

  /** The GPUs read within the last few periods; older readings are dropped, not repeated. */
  gpus(now: number): GpuSample[] {
    const fresh = [...this.latest.values()].filter((g) => now - g.at <= Math.max(3 * this.o.periodMs, 1500));
    return fresh.map((g) => g.sample).sort((a, b) => a.index - b.index);
  }

  gpuStatus(now: number): GpuStatus {
    if (this.status.available && this.gpus(now).length === 0) return { available: false, reason: 'no fresh readings from nvidia-smi' };
    return this.status;
  }

  gpuProcesses(): GpuProcess[] {
    return this.processes;
  }

  /** A new sampling period: the reader restarts with it at once, without counting as a failure. */
  setPeriod(periodMs: number): void {
    this.o.periodMs = periodMs;
    if (!this.child) return;
    this.restarting = true;
    this.child.kill();
  }

  stop(): void {
    this.stopped = true;
    if (this.processTimer) clearInterval(this.processTimer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.child?.kill();
  }

  private stream(): void {
    const names = Object.values(this.fields);
    const child = spawn(this.command, [`--query-gpu=${names.join(',')}`, '--format=csv,nounits', `-lms`, String(this.o.periodMs)], {
      env: this.o.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let header: string[] | null = null;
    let errorText = '';
    forEachLine(child.stdout, (line) => {
      if (line.trim() === '') return;
      if (!header) {
        header = parseHeader(line);
        return;
      }
      // nvidia-smi repeats the header now and then; a header line never parses as a GPU.
      const sample = parseGpuLine(header, this.fields, line);
      if (!sample) return;
      this.latest.set(sample.index, { sample, at: Date.now() });
      this.status = { available: true, reason: null };
      this.restarts = 0;
    });
    forEachLine(child.stderr, (line) => (errorText = `${errorText}${line}\n`.slice(-500)));
    child.on('error', (error) => (errorText = error.message));
    child.on('close', (code, signal) => {
      if (this.stopped) return;
      if (this.restarting) {
        this.restarting = false;
        return this.stream();
      }
      const why = errorText.trim().split('\n')[0] || `exited with ${signal ?? `code ${code}`}`;
      const delay = Math.min(30_000, 500 * 2 ** this.restarts++);
      this.status = { available: false, reason: `nvidia-smi stopped (${why}); restarting in ${Math.round(delay / 100) / 10} s` };
      this.o.onError?.(this.status.reason!);
      this.restartTimer = setTimeout(() => this.stream(), delay);
      this.restartTimer.unref();
    });
  }

  private async pollProcesses(): Promise<void> {
    const result = await this.run(['--query-compute-apps=pid,process_name,used_memory,gpu_uuid', '--format=csv,nounits']);
    if (result.ok) this.processes = parseComputeApps(result.stdout);
  }

  private run(args: string[]): Promise<{ ok: true; stdout: string } | { ok: false; reason: string }> {
    return new Promise((resolve) => {
      execFile(this.command, args, { env: this.o.env ?? process.env, timeout: 10_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (!error) return resolve({ ok: true, stdout });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return resolve({ ok: false, reason: `${this.command} not found (no NVIDIA driver installed)` });
        resolve({ ok: false, reason: `${this.command} failed: ${(stderr || stdout || error.message).trim().split('\n')[0]}` });
      });
    });
  }
}
