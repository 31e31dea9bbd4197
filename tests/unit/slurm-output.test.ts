import { describe, expect, it } from 'vitest';
import { gpusInGres } from '../../host/cluster/gres.js';
import { expandHostlist } from '../../host/cluster/hostlist.js';
import { jobsFromSqueue, nodesFromSinfo, partitionsFromScontrol } from '../../host/cluster/slurm-output.js';

// Shapes Slurm's documentation gives; the 22.05 output itself is read from a real Slurm in
// tests/integration/slurm-status.test.ts. No GPU exists on these machines, so Gres strings are the
// documented format (gres.conf(5), sinfo's GRES column).

describe('Slurm output', () => {
  it('counts the GPUs in a Gres string, typed or not, ignoring other resources and socket lists', () => {
    expect(gpusInGres('')).toBe(0);
    expect(gpusInGres('gpu:a100:4(S:0-1)')).toBe(4);
    expect(gpusInGres('gpu:a100:4(S:0-1),gpu:v100:2(S:0),shard:8')).toBe(6);
    expect(gpusInGres('gpu:2,mps:200')).toBe(2);
    expect(gpusInGres('gpu')).toBe(1);
  });

  it('expands hostlists with ranges, lists, zero padding and several brackets', () => {
    expect(expandHostlist('hpcnode')).toEqual(['hpcnode']);
    expect(expandHostlist('node[01-03,07],login1')).toEqual(['node01', 'node02', 'node03', 'node07', 'login1']);
    expect(expandHostlist('r[1-2]-n[1-2]')).toEqual(['r1-n1', 'r1-n2', 'r2-n1', 'r2-n2']);
    expect(() => expandHostlist('node[a-b]')).toThrow('hostlist: "a-b" is not a number or a range');
  });

  it('reads 23.02-and-later output by the release it declares: structured numbers and state lists', () => {
    const meta = { slurm: { version: { major: 23, minor: 11, micro: 4 }, release: '23.11.4' } };
    const nodes = nodesFromSinfo({
      meta,
      nodes: [{ name: 'gpu01', state: ['MIXED', 'DRAIN'], cpus: 64, real_memory: 515_000, gres: 'gpu:h100:8(S:0-1)', cpu_load: { set: true, infinite: false, number: 1234 }, partitions: ['gpu'], a_field_from_later: { x: 1 } }],
    });
    expect(nodes).toEqual([{ name: 'gpu01', state: 'mixed+drain', cpus: 64, memoryMB: 515_000, gpus: 8, load: 12.34, partitions: ['gpu'] }]);
    const jobs = jobsFromSqueue({
      meta,
      jobs: [{ job_id: 42, name: 'train', user_name: 'ada', job_state: ['PENDING'], state_reason: 'Priority', nodes: '', partition: 'gpu' }],
    });
    expect(jobs).toEqual([{ id: 42, name: 'train', user: 'ada', state: 'pending', reason: 'Priority', position: 1, nodes: '', partition: 'gpu' }]);
  });

  it("places each pending job in its partition's queue by priority, the older first among equals", () => {
    const job = (job_id: number, partition: string, priority: number, job_state = 'PENDING') => ({ job_id, name: 'j', user_name: 'ada', job_state, state_reason: 'Priority', partition, priority });
    const jobs = jobsFromSqueue({
      meta: { Slurm: { version: { major: 22, minor: 5, micro: 8 } } },
      jobs: [job(10, 'gpu', 0, 'RUNNING'), job(11, 'gpu', 100), job(12, 'gpu', 500), job(13, 'cpu', 100), job(14, 'gpu', 100)],
    });
    expect(Object.fromEntries(jobs.map((j) => [j.id, j.position]))).toEqual({ 10: null, 11: 2, 12: 1, 13: 1, 14: 3 });
  });

  it('refuses output that does not say which release printed it', () => {
    expect(() => nodesFromSinfo({ nodes: [] })).toThrow('sinfo --json did not say which Slurm release printed it');
  });

  it('reads partitions from scontrol\'s one-line form', () => {
    const text = 'PartitionName=gpu AllowGroups=ALL Default=NO Nodes=gpu[01-02] State=DRAIN TotalCPUs=128\nPartitionName=empty Default=YES Nodes=(null) State=UP\n';
    expect(partitionsFromScontrol(text)).toEqual([
      { name: 'gpu', state: 'drain', nodes: ['gpu01', 'gpu02'], default: false },
      { name: 'empty', state: 'up', nodes: [], default: true },
    ]);
  });
});
