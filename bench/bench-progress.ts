import { stderrBar } from '../host/cli/stderr-bar.js';

/** One bar on a terminal; elsewhere one stderr line per measurement. */
export function startProgress(title: string, total: number, firstLabel = 'loading Fashion-MNIST') {
  const bar = process.stderr.isTTY ? stderrBar(`${title} |{bar}| {value}/{total} {label}`) : null;
  bar?.start(total, 0, { label: firstLabel });
  let done = 0;
  return {
    tick(label: string) {
      if (bar) bar.update(done++, { label });
      else process.stderr.write(`${title} ${++done}/${total}: ${label}\n`);
    },
    stop() {
      bar?.update(total, { label: 'done' });
      bar?.stop();
    },
  };
}
