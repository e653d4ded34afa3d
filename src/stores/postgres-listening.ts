/**
 * The watches of one `PostgresStateStore` and the one listening session they share: opened by the
 * first watch (later ones join it, even while it opens), ended after the last watch leaves, opened
 * again by the next watch after a failed opening or a lost connection.
 */
import { StoreError } from '../errors.js';
import type { StoreChange, StoreWatchOptions } from '../ports/state-store.js';
import { ChangeFeed } from './change-feed.js';
import { PostgresListenSession } from './postgres-watch.js';
import { storeFailure } from './record-codec.js';

/** A store's watch subscribers and their shared `LISTEN` session; see the module comment. */
export class PostgresWatchers {
  readonly #storeName: string;
  readonly #pool: unknown;
  readonly #channel: string;
  readonly #feed = new ChangeFeed(() => this.#endSession());
  /** The listening session of the current watches, while one is opening or open. */
  #session: Promise<PostgresListenSession> | undefined;
  /** Sessions being ended (`UNLISTEN`, release); {@link PostgresWatchers.close} waits for them. */
  readonly #endings = new Set<Promise<void>>();

  /**
   * @param storeName Names the store in errors.
   * @param pool The user's client; a session needs it to be a pool.
   * @param channel The validated `NOTIFY` channel.
   */
  constructor(storeName: string, pool: unknown, channel: string) {
    this.#storeName = storeName;
    this.#pool = pool;
    this.#channel = channel;
  }

  /**
   * Subscribes `listener` (checked arguments, signal not aborted), then resolves once `LISTEN` is
   * in effect. Subscribed first: a notification that arrives while `LISTEN` completes reaches it too.
   *
   * @throws StoreError when the session cannot open (the subscription is then withdrawn).
   */
  async watch(listener: (change: StoreChange) => void, options: StoreWatchOptions): Promise<void> {
    this.#feed.subscribe(listener, options);
    try {
      await this.#listening();
    } catch (error) {
      this.#feed.unsubscribe(options.signal);
      throw storeFailure(this.#storeName, 'watch', error);
    }
  }

  /** Ends every watch and waits until the listening connection went back to the pool. */
  async close(): Promise<void> {
    this.#feed.clear();
    await Promise.all([...this.#endings]);
  }

  /** The session of the current watches: joins the one opening or open, else opens one. */
  #listening(): Promise<PostgresListenSession> {
    let session = this.#session;
    if (session === undefined) {
      const storeName = this.#storeName;
      const opening = PostgresListenSession.open(storeName, this.#pool, this.#channel, {
        onChange: (change) => this.#feed.publish(change),
        onLost: (error) => {
          if (this.#session === opening) this.#session = undefined;
          this.#feed.fail(
            new StoreError(`${storeName}.watch lost its listening connection; the watch ended: ${messageOf(error)}`, { cause: error }),
          );
        },
      });
      session = opening;
      this.#session = opening;
      // A failed opening is not kept: the next watch tries again.
      opening.catch(() => {
        if (this.#session === opening) this.#session = undefined;
      });
    }
    return session;
  }

  /** The last watch ended: stop listening once the session is open (or opening failed). */
  #endSession(): void {
    const session = this.#session;
    if (session === undefined) return;
    this.#session = undefined;
    const ending = session
      .then(
        (open) => open.end(),
        () => undefined,
      )
      .catch(() => undefined);
    this.#endings.add(ending);
    void ending.then(() => this.#endings.delete(ending));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
