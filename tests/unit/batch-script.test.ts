import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ClusterJobSpec } from '../../shared/cluster-job.js';
import { DEFAULT_RUN_CONFIG } from '../../shared/run-config.js';
import { batchScript } from '../../host/cluster/batch-script.js';
import { fieldErrors } from '../../shared/field-error.js';
import { jobEndInOutput } from '../../host/cluster/slurm-output.js';

const spec = (over: Record<string, unknown> = {}) => ({ name: 'mnist', nodes: 2, tasksPerNode: 2, gpusPerNode: 1, timeLimitMin: 90, config: DEFAULT_RUN_CONFIG, ...over });
const script = (task: string[], output = '/home/ada/.hpc/cluster-runs/mnist-1/slurm-%j.out') =>
  batchScript({ spec: ClusterJobSpec.parse(spec({ partition: 'gpu', account: 'ml-lab' })), clusterRunId: 'mnist-20261125-000000-abcd', output, task, version: '1.2.3' });

describe('the batch script', () => {
  it("asks Slurm for the job's size and limits, and starts one trainer per task with srun", () => {
    const text = script(['/usr/bin/node', '/opt/hpc/bin/hpc-studio.mjs', 'cluster', 'task', '--run-dir', '/home/ada/.hpc/cluster-runs/mnist-1']);
    expect(text.split('\n').filter((l) => l.startsWith('#SBATCH'))).toEqual([
      '#SBATCH --job-name=mnist',
      '#SBATCH --partition=gpu',
      '#SBATCH --account=ml-lab',
      '#SBATCH --nodes=2',
      '#SBATCH --ntasks-per-node=2',
      '#SBATCH --gpus-per-node=1',
      '#SBATCH --time=90',
      '#SBATCH --chdir="/home/ada/.hpc/cluster-runs/mnist-1"',
      '#SBATCH --output="/home/ada/.hpc/cluster-runs/mnist-1/slurm-%j.out"',
      '#SBATCH --open-mode=append',
      '#SBATCH --requeue',
    ]);
    expect(text).toContain("exec srun --kill-on-bad-exit=1 --wait=120 '/usr/bin/node' '/opt/hpc/bin/hpc-studio.mjs' 'cluster' 'task' '--run-dir' '/home/ada/.hpc/cluster-runs/mnist-1'");
    execFileSync('sh', ['-n'], { input: text });
  });

  it('quotes every word of the task for the shell: a path with quotes, $() and ; stays one word', () => {
    const odd = "/home/o'brien/$(touch /tmp/owned); rm -rf ~/x";
    const line = script(['node', odd]).split('\n').find((l) => l.startsWith('exec srun'))!;
    const words = execFileSync('sh', ['-c', `set -- ${line.slice('exec srun --kill-on-bad-exit=1 --wait=120 '.length)}; printf '%s\\n' "$@"`], { encoding: 'utf8' });
    expect(words).toBe(`node\n${odd}\n`);
  });

  it('double-quotes the run folder in #SBATCH lines, and refuses one that cannot be written there', () => {
    expect(script(['node'], '/root/.config/HPC Studio/cluster-runs/x/slurm-%j.out')).toContain('#SBATCH --chdir="/root/.config/HPC Studio/cluster-runs/x"\n');
    for (const dir of ['/home/say "hi"', "/home/o'brien", '/home/100%', '/home/a\nb', '/home/$USER', '/home/a\\b']) {
      expect(() => script(['node'], `${dir}/slurm-%j.out`), dir).toThrow(/cannot go in an #SBATCH line/);
    }
  });
});

describe("a cluster job's names", () => {
  it('refuses shell metacharacters, newlines and option-like values, naming the field', () => {
    const cases: [string, unknown][] = [
      ['name', 'train;rm -rf ~'],
      ['name', 'a\n#SBATCH --wrap=id'],
      ['name', '--wrap=id'],
      ['name', '$(id)'],
      ['name', ''],
      ['partition', '-p'],
      ['partition', 'gpu other'],
      ['account', '`id`'],
      ['account', 'x'.repeat(65)],
    ];
    for (const [field, value] of cases) {
      const parsed = ClusterJobSpec.safeParse(spec({ [field]: value }));
      expect(parsed.success, `${field}=${JSON.stringify(value)}`).toBe(false);
      expect(fieldErrors(parsed.error!).map((e) => e.field)).toEqual([field]);
    }
    expect(fieldErrors(ClusterJobSpec.safeParse(spec({ name: '--wrap=id' })).error!)[0]!.message).toContain("letters, digits, '.', '_' or '-', not starting with '-' or '.'");
  });

  it('takes at most 16 trainers, leaves the peers to Slurm, and refuses a distillation it cannot hand a teacher', () => {
    expect(fieldErrors(ClusterJobSpec.safeParse(spec({ nodes: 4, tasksPerNode: 5 })).error!)).toEqual([
      { field: 'tasksPerNode', message: 'tasksPerNode: nodes × tasksPerNode must be at most 16 tasks (one trainer each); got 4 × 5 = 20' },
    ]);
    const withPeers = spec({ config: { ...DEFAULT_RUN_CONFIG, distribution: { parallel: 'data', peers: ['local', 'local'] } } });
    expect(fieldErrors(ClusterJobSpec.safeParse(withPeers).error!).map((e) => e.field)).toEqual(['config.distribution']);
    const distilled = spec({ config: { ...DEFAULT_RUN_CONFIG, model: 'mlp', hidden: [64], distillation: { teacherRunId: 'run-20261125-000000-abcd', temperature: 4, alpha: 0.5 } } });
    expect(fieldErrors(ClusterJobSpec.safeParse(distilled).error!)).toEqual([
      { field: 'config.distillation', message: "config.distillation: a cluster job's tasks are not handed a teacher's checkpoint: distill on this machine" },
    ]);
    expect(fieldErrors(ClusterJobSpec.safeParse(spec({ timeLimitMin: 0 })).error!)[0]!.message).toBe('timeLimitMin: must be an integer from 1 to 10080');
  });
});

describe("how slurmstepd says it ended a job", () => {
  it('reads a time limit, a cancel and a preemption from the output, for the job asked about', () => {
    const out = [
      'epoch 3/50: train loss 0.3',
      'slurmstepd-hpcnode: error: *** JOB 1 ON hpcnode CANCELLED AT 2026-11-25T00:30:46 DUE TO TIME LIMIT ***',
      'slurmstepd-hpcnode: error: *** STEP 1.0 ON hpcnode CANCELLED AT 2026-11-25T00:30:46 DUE TO TIME LIMIT ***',
      'slurmstepd-gpu01: error: *** JOB 2 ON gpu01 CANCELLED AT 2026-11-25T01:00:00 ***',
      'slurmstepd-gpu01: error: *** JOB 3 ON gpu01 CANCELLED AT 2026-11-25T02:00:00 DUE TO PREEMPTION ***',
    ].join('\n');
    expect(jobEndInOutput(out, 1)).toEqual({ state: 'TIMEOUT', reason: 'TimeLimit' });
    expect(jobEndInOutput(out, 2)).toEqual({ state: 'CANCELLED', reason: 'None' });
    expect(jobEndInOutput(out, 3)).toEqual({ state: 'PREEMPTED', reason: 'None' });
    expect(jobEndInOutput(out, 4)).toBeNull();
  });
});
