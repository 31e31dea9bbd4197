import cliProgress from 'cli-progress';

/** How every progress bar of the CLI looks: on stderr, so stdout stays for results and JSON Lines. */
export function stderrBarOptions(format: string): cliProgress.Options {
  return { stream: process.stderr, format, barCompleteChar: '█', barIncompleteChar: '░', hideCursor: true };
}

export function stderrBar(format: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(stderrBarOptions(format), cliProgress.Presets.shades_classic);
}
