/** The error of a move withdrawn from the {@link OrderBudget} before anything of it was sent. */

/**
 * Thrown to a move that was withdrawn before it was sent (its stop ended or is being removed):
 * nothing reached the venue. The sync stops quietly on it.
 */
export class WithdrawnError extends Error {
  override readonly name = 'WithdrawnError';
  /** The key whose move was withdrawn. */
  readonly key: string;
  /** @param key The key whose move was withdrawn. */
  constructor(key: string) {
    super(`The move for ${key} was withdrawn before it was sent`);
    this.key = key;
  }
}
