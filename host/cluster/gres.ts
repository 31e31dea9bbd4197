/**
 * GPUs in a node's Gres string as Slurm prints it: comma-separated `name[:type]:count[(socket list)]`
 * entries, e.g. `gpu:a100:4(S:0-1),gpu:2,shard:8` → 6 (only `gpu` counts; a count may carry a
 * K/M suffix). No GPU exists on these machines, so this follows the documented format (gres.conf(5)).
 */
export function gpusInGres(gres: string): number {
  let gpus = 0;
  for (const entry of gres.split(/,(?![^(]*\))/)) {
    const parts = entry.replace(/\(.*\)$/, '').split(':');
    if (parts[0] !== 'gpu') continue;
    const count = /^(\d+)([KMG]?)$/i.exec(parts.at(-1) ?? '');
    // `gpu` or `gpu:type` alone means one.
    gpus += count ? Number(count[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[count[2]!.toUpperCase()]! : 1;
  }
  return gpus;
}
