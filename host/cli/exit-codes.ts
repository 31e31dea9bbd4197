/** The CLI's exit codes, part of its scripted contract. */
export const EXIT = {
  done: 0,
  failed: 1,
  badInput: 2,
  interrupted: 130,
} as const;
