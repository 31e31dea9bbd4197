import { describe, expect, it } from 'vitest';
import type { ClusterJob } from '../../shared/cluster-job.js';
import { isLiveJob, jobStateLabel, ordinal, pendingText, stoppedText } from '../../renderer/src/cluster-job-labels.js';

const job = (state: string, more: Partial<ClusterJob> = {}): ClusterJob => ({ jobId: 7, submittedAt: 0, state, reason: 'None', position: null, nodes: '', resume: false, ...more });

describe('how the Cluster panel words a job', () => {
  it('names every state a user meets in words, coloured by what it means', () => {
    expect(jobStateLabel('PENDING')).toEqual({ words: 'pending', tone: 'waiting' });
    expect(jobStateLabel('RUNNING')).toEqual({ words: 'running', tone: 'active' });
    expect(jobStateLabel('COMPLETED')).toEqual({ words: 'completed', tone: 'ok' });
    expect(jobStateLabel('CANCELLED by 0')).toEqual({ words: 'cancelled', tone: 'neutral' });
    expect(jobStateLabel('TIMEOUT')).toEqual({ words: 'timed out', tone: 'stopped' });
    expect(jobStateLabel('PREEMPTED')).toEqual({ words: 'preempted', tone: 'stopped' });
    expect(jobStateLabel('OUT_OF_MEMORY')).toEqual({ words: 'out of memory', tone: 'bad' });
    expect(jobStateLabel('SPECIAL_EXIT')).toEqual({ words: 'special exit', tone: 'neutral' });
  });

  it('says where a pending job stands in its queue', () => {
    expect(pendingText(job('PENDING', { reason: 'Priority', position: 2 }))).toBe('waits: Priority · 2nd in queue');
    expect(pendingText(job('PENDING', { reason: 'Resources', position: 11 }))).toBe('waits: Resources · 11th in queue');
    expect(pendingText(job('PENDING', { position: null }))).toBe('waits: its turn');
    expect([1, 2, 3, 4, 12, 21, 22, 23, 111].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '12th', '21st', '22nd', '23rd', '111th']);
  });

  it('tells a job Slurm still runs from one that ended, and why one was stopped', () => {
    expect(['PENDING', 'RUNNING', 'COMPLETING', 'REQUEUED'].map((s) => isLiveJob(job(s)))).toEqual([true, true, true, true]);
    expect(['COMPLETED', 'CANCELLED', 'TIMEOUT', 'PREEMPTED', 'FAILED', 'UNKNOWN'].map((s) => isLiveJob(job(s)))).toEqual([false, false, false, false, false, false]);
    expect(stoppedText(job('TIMEOUT'), 5)).toBe('Stopped by its time limit (5 min).');
    expect(stoppedText(job('PREEMPTED'), 5)).toMatch(/^Preempted/);
    expect(stoppedText(job('COMPLETED'), 5)).toBeNull();
  });
});
