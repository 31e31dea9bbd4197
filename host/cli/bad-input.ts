/** A failure the user can fix: exit 2, with the field (or flag) it concerns. */
export class BadInput extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
