import { z } from 'zod';
import type { ClusterStatus } from '../../shared/cluster-status.js';
import { gpusInGres } from './gres.js';
import { expandHostlist } from './hostlist.js';

/**
 * Slurm's `--json` output. Its shapes follow the release that printed it: up to 22.05 (OpenAPI
 * v0.0.38) numbers are plain and states are strings; from 23.02 numbers may come as
 * `{set, infinite, number}` and states as lists of flags. Fields not read here are ignored, so
 * additions in later releases are harmless.
 */
const Version = z.object({ major: z.coerce.number(), minor: z.coerce.number(), micro: z.coerce.number() });
const Meta = z.object({
  // 22.05–23.02 say `Slurm`, later releases `slurm`.
  Slurm: z.object({ version: Version, release: z.string().optional() }).optional(),
  slurm: z.object({ version: Version, release: z.string().optional() }).optional(),
});

const PlainNumber = z.number().nullable();
/** From 23.02: a number that may be unset or infinite. */
const StructuredNumber = z.union([z.number(), z.object({ set: z.boolean(), infinite: z.boolean().optional(), number: z.number() }), z.null()]);
const numberOf = (value: z.infer<typeof StructuredNumber>): number | null =>
  value === null ? null : typeof value === 'number' ? value : value.set && !value.infinite ? value.number : null;
const stateOf = (state: string | string[], flags: string[] = []): string => [...(Array.isArray(state) ? state : [state]), ...flags].map((s) => s.toLowerCase()).join('+');

function dialect(version: z.infer<typeof Version>): 'plain' | 'structured' {
  return version.major > 23 || (version.major === 23 && version.minor >= 2) ? 'structured' : 'plain';
}

function nodeSchema(kind: 'plain' | 'structured') {
  const num = kind === 'plain' ? PlainNumber : StructuredNumber;
  return z.object({
    name: z.string(),
    state: kind === 'plain' ? z.string() : z.union([z.string(), z.array(z.string())]),
    state_flags: z.array(z.string()).optional(),
    cpus: num,
    real_memory: num,
    gres: z.string().default(''),
    cpu_load: num.optional(),
    partitions: z.array(z.string()).default([]),
  });
}

function jobSchema(kind: 'plain' | 'structured') {
  return z.object({
    job_id: kind === 'plain' ? z.number() : StructuredNumber,
    name: z.string(),
    user_name: z.string(),
    job_state: kind === 'plain' ? z.string() : z.union([z.string(), z.array(z.string())]),
    state_reason: z.string(),
    nodes: z.string().default(''),
    partition: z.string().default(''),
    priority: (kind === 'plain' ? PlainNumber : StructuredNumber).optional(),
  });
}

/** The release an output declares, and its dialect; an output that declares none is refused. */
export function declaredRelease(json: unknown, command: string): { release: string; kind: 'plain' | 'structured' } {
  const meta = Meta.safeParse((json as { meta?: unknown } | null)?.meta);
  const slurm = meta.success ? (meta.data.slurm ?? meta.data.Slurm) : undefined;
  if (!slurm) throw new Error(`${command} --json did not say which Slurm release printed it (no meta.slurm.version); Slurm 22.05 or later is needed`);
  const { major, minor, micro } = slurm.version;
  return { release: slurm.release ?? `${major}.${String(minor).padStart(2, '0')}.${micro}`, kind: dialect(slurm.version) };
}

export function nodesFromSinfo(json: unknown): ClusterStatus['nodes'] {
  const { kind } = declaredRelease(json, 'sinfo');
  const parsed = z.object({ nodes: z.array(nodeSchema(kind)) }).parse(json);
  return parsed.nodes.map((n) => {
    const load = numberOf(n.cpu_load ?? null);
    return {
      name: n.name,
      state: stateOf(n.state, n.state_flags),
      cpus: numberOf(n.cpus) ?? 0,
      memoryMB: numberOf(n.real_memory) ?? 0,
      gpus: gpusInGres(n.gres),
      load: load === null ? null : load / 100,
      partitions: n.partitions,
    };
  });
}

export function jobsFromSqueue(json: unknown): ClusterStatus['jobs'] {
  const { kind } = declaredRelease(json, 'squeue');
  const parsed = z.object({ jobs: z.array(jobSchema(kind)) }).parse(json);
  const jobs = parsed.jobs.map((j) => ({
    id: numberOf(j.job_id) ?? 0,
    name: j.name,
    user: j.user_name,
    state: stateOf(j.job_state),
    reason: j.state_reason,
    position: null as number | null,
    nodes: j.nodes,
    partition: j.partition,
    priority: numberOf(j.priority ?? null) ?? 0,
  }));
  // Slurm starts a partition's pending jobs by priority, the older first among equals.
  const pending = jobs.filter((j) => j.state === 'pending').sort((a, b) => b.priority - a.priority || a.id - b.id);
  const seen = new Map<string, number>();
  for (const job of pending) {
    const place = (seen.get(job.partition) ?? 0) + 1;
    seen.set(job.partition, place);
    job.position = place;
  }
  return jobs.map(({ priority: _, ...job }) => job);
}

/** `scontrol show partition --oneliner`: one line of `Key=Value` pairs per partition (22.05 has no JSON for it). */
export function partitionsFromScontrol(text: string): ClusterStatus['partitions'] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('PartitionName='))
    .map((line) => {
      const fields = new Map<string, string>();
      for (const m of line.matchAll(/(\w+)=(\S*)/g)) fields.set(m[1]!, m[2]!);
      const nodes = fields.get('Nodes') ?? '';
      return {
        name: fields.get('PartitionName')!,
        state: (fields.get('State') ?? 'unknown').toLowerCase(),
        nodes: nodes === '' || nodes === '(null)' ? [] : expandHostlist(nodes),
        default: fields.get('Default') === 'YES',
      };
    });
}

const STEPD_END = /\*\*\* JOB (\d+) ON \S+ CANCELLED AT \S+(?: DUE TO (TIME LIMIT|PREEMPTION|NODE FAILURE))?/g;
const END_OF: Record<string, { state: string; reason: string }> = {
  '': { state: 'CANCELLED', reason: 'None' },
  'TIME LIMIT': { state: 'TIMEOUT', reason: 'TimeLimit' },
  PREEMPTION: { state: 'PREEMPTED', reason: 'None' },
  'NODE FAILURE': { state: 'NODE_FAIL', reason: 'None' },
};

/**
 * How slurmstepd says it ended a job in the job's output (`*** JOB 7 ON node1 CANCELLED AT … DUE
 * TO TIME LIMIT ***`): what is left once Slurm has forgotten the job and no task could record it.
 */
export function jobEndInOutput(text: string, jobId: number): { state: string; reason: string } | null {
  let end: { state: string; reason: string } | null = null;
  for (const m of text.matchAll(STEPD_END)) if (Number(m[1]) === jobId) end = END_OF[m[2] ?? '']!;
  return end;
}
