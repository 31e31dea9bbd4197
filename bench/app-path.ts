import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AppPathModelResult } from '../shared/app-path-bench-output.js';
import { BackgroundLoad } from './background-load.js';
import { printReport } from './bench-report.js';

/**
 * `npm run bench:app-path`: the full app path (the trainer supervised by `serve`, the run log
 * written, every record streamed to a WebSocket client) against the bare training loop, in
 * interleaved windows, for the mlp and then the cnn. Each model runs in a fresh process
 * (bench/app-path-pairs.ts), as each app run gets a fresh trainer: a second model trained in the
 * same process runs a few per cent slower, which would flatter the app.
 */
const MODELS = ['mlp', 'cnn'] as const;

const background = new BackgroundLoad();
const started = performance.now();
const models: AppPathModelResult[] = [];
for (const model of MODELS) models.push(await runModel(model));

const load = background.report();
if (!load.quiet) {
  process.stderr.write(
    `bench:app-path: the machine was busy (load average ${load.loadAverageAtStart[0]} at the start, other processes used ${load.otherProcessesCores} cores meanwhile); re-measure on a quiet machine\n`,
  );
}
const lost = models.filter((r) => !r.stepsToClient.contiguous || r.stepsToClient.received !== r.stepsToClient.inRunLog);
for (const r of lost) process.stderr.write(`bench:app-path: ${r.model}: the client did not receive every step: ${JSON.stringify(r.stepsToClient)}\n`);
printReport('full app path vs bare training loop (Fashion-MNIST, batch 64, Adam, fp32)', {
  durationSec: Math.round((performance.now() - started) / 1000),
  load,
  backend: models[0]!.backend,
  method:
    'per model, a fresh process trains the bare loop and drives the app; pairs of windows of windowSamples, interleaved: while one side trains the other is paused ' +
    "(bare: TrainingControl.pause; app: the API's pauseRun, waiting for the trainer's paused record); pair i runs bare first when i is even, app first when odd. " +
    'Warm-up (warmupSamples) untimed on both sides. Each window starts at the first step after resuming (that step\'s own time is not counted, on both sides) ' +
    'and ends at the first step windowSamples later. Bare: HPC Studio\'s TrainingLoop in the bench process, timed at its step events (performance.now). ' +
    'App: `hpc-studio serve` (its hardware monitor on) supervising the trainer child (HPC_STUDIO_BACKEND forced to the bare side\'s backend), which writes the run log; ' +
    "timed by the trainer's own step timestamps (Date.now, 1 ms), since its steps reach the client in batches of up to STEP_BATCH_MS (50 ms); " +
    'the client must still receive every step (stepsToClient), and appSamplesPerSecAtClient times the same windows by its clock at arrival. ' +
    'Both runs go on for many epochs; a pair whose window on either side holds an epoch end (a validation pass) is left out (pairsLeftOut). ' +
    'ratio = app / bare samples/s per pair; the figure is the median pair. medianStepMsRatio: the median over pairs of bare / app median step-to-step time, ' +
    'steadier than whole windows. cpuMsPerStep: CPU time (user + system, /proc, 10 ms ticks) per step over each side\'s windows, pause and resume included: ' +
    'bare = the bench process; app = the trainer child, the serve process and the bench process as the client.',
  models,
});
process.exitCode = lost.length || models.some((m) => m.appBackend !== m.backend.name) ? 1 : 0;

/** Runs one model's pairs in a fresh process; its progress goes to stderr as it runs. */
async function runModel(model: (typeof MODELS)[number]): Promise<AppPathModelResult> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'app-path-pairs.js'), model], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) {
    process.stderr.write(`bench:app-path: the ${model} pairs exited with code ${code}\n`);
    process.exit(code ?? 1);
  }
  const parsed = AppPathModelResult.safeParse(JSON.parse(stdout));
  if (!parsed.success) throw new Error(`bench:app-path: the ${model} pairs printed an unexpected result: ${parsed.error.message}`);
  return parsed.data;
}
