/**
 * Builds stop entries: a new position's from a validated spec (its policy fed the entry price, a
 * generated position id when the caller gave none, its deterministic client order id base), or a
 * stored stop's from its record; each with its exchange sync wired in.
 */
import type { StopRecord } from '../ports/state-store.js';
import type { Clock } from '../ports/clock.js';
import { clientOrderIdBase, defaultClientOrderIdMaxLength } from '../domain/client-order-id.js';
import type { ValidatedSpec } from '../policy/create-spec.js';
import { advancePolicy, createPolicyState } from '../policy/policy.js';
import { StopSynchronizer, type SyncContext } from '../exchange/stop-synchronizer.js';
import { StopEntry } from '../stop/stop-entry.js';
import { entryFromRecord } from '../stop/stop-record.js';

/** What the factory needs. */
export interface StopFactoryOptions {
  readonly clock: Clock;
  readonly random: () => number;
  readonly owner: string;
  readonly clientOrderIdPrefix: string;
  readonly sync: SyncContext;
}

/** See the module comment. */
export class StopFactory {
  readonly #options: StopFactoryOptions;
  readonly #makeSync: (entry: StopEntry) => StopSynchronizer;
  #positionCounter = 0;
  #creationCounter = 0;

  constructor(options: StopFactoryOptions) {
    this.#options = options;
    this.#makeSync = (entry) => new StopSynchronizer(entry, options.sync);
  }

  /** A new position's entry, state `pending`, its policy fed the entry price (as every later price). */
  fromSpec(input: ValidatedSpec): StopEntry {
    const { clock, owner, clientOrderIdPrefix, sync } = this.#options;
    const now = clock.now();
    const positionId = input.positionId ?? this.#generatePositionId(now);
    const policy = createPolicyState(input.side, input.entryPrice, input.parameters, input.initialStopPrice);
    advancePolicy(policy, input.parameters, input.entryPrice);
    const maxLength = sync.gateway.placer.capabilities?.clientOrderIdMaxLength ?? defaultClientOrderIdMaxLength;
    return new StopEntry({
      key: input.key,
      symbol: input.symbol,
      side: input.side,
      positionId,
      entryPrice: input.entryPrice,
      quantity: input.quantity,
      parameters: input.parameters,
      policy,
      // Owner, time and a counter set this creation apart from any earlier one of the same position id.
      clientOrderIdBase: clientOrderIdBase(clientOrderIdPrefix, input.key, positionId, maxLength, `${owner}\u0000${now}\u0000${this.#creationCounter++}`),
      sequence: 1,
      owner,
      createdAt: now,
      sync: this.#makeSync,
    });
  }

  /** A stored stop's entry, in its stored state. */
  fromRecord(record: StopRecord): StopEntry {
    return entryFromRecord(record, this.#makeSync);
  }

  #generatePositionId(now: number): string {
    const random = Math.floor(this.#options.random() * 36 ** 6).toString(36).padStart(6, '0');
    return `${now.toString(36)}${(this.#positionCounter++).toString(36)}${random}`;
  }
}
