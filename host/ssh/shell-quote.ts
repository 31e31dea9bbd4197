/**
 * One argument for a POSIX shell on a node, in single quotes: inside them the shell expands
 * nothing, so the only character to escape is the quote itself (close, escaped quote, reopen).
 * A login shell of csh or fish reads it the same unless it holds `!` or a backslash; the words sent
 * (fixed commands and flags, paths under the user's home) hold neither.
 */
export function shellQuote(argument: string): string {
  if (argument.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  return `'${argument.replaceAll("'", `'\\''`)}'`;
}

/** A command line for the node's login shell, every word quoted: nothing in it is ever interpreted. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
