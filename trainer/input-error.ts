/** Bad input the trainer found (a missing file, a CSV column, a batch larger than the data): names the field. */
export class InputError extends Error {
  override name = 'InputError';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
