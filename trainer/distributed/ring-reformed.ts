/** Thrown out of a collective whose ring broke and has been formed again: the caller starts that work over. */
export class RingReformed extends Error {
  override readonly name = 'RingReformed';
}
