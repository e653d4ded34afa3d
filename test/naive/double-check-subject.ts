/**
 * The naive check-work-double-check registry (double-check-registry.ts) seen through the fault
 * campaign's surface: creations and removals are its own, everything else it never had (prices,
 * resizes, restore, reconcile) does nothing, so the campaign judges it by the venue and the store.
 */
import { NotFoundError, type CreateStopSpec } from '../../src/index.js';
import type { CampaignRegistry, CampaignStop, Variant } from '../support/campaign-world.js';
import { DoubleCheckRegistry, type NaiveSpec, type NaiveStop } from './double-check-registry.js';

/** A naive stop as the campaign reads stops. */
function viewOf(stop: NaiveStop, spec?: CreateStopSpec): CampaignStop {
  return {
    key: stop.key,
    positionId: 'naive',
    state: 'waiting',
    version: 0,
    order: stop.order,
    stopPrice: stop.order.stopPrice,
    quantity: spec?.quantity ?? stop.order.quantity,
    side: spec?.side ?? (stop.order.side === 'sell' ? 'long' : 'short'),
    entryPrice: spec?.entryPrice ?? Number.NaN,
  };
}

/** See the module comment. */
export class DoubleCheckSubject implements CampaignRegistry {
  readonly owner: string;
  readonly #naive: DoubleCheckRegistry;

  constructor(naive: DoubleCheckRegistry, owner: string) {
    this.#naive = naive;
    this.owner = owner;
  }

  async create(spec: CreateStopSpec): Promise<CampaignStop> {
    return viewOf(await this.#naive.create(spec as NaiveSpec), spec);
  }

  createMany(specs: readonly CreateStopSpec[]): Promise<PromiseSettledResult<CampaignStop>[]> {
    return Promise.allSettled(specs.map((spec) => this.create(spec)));
  }

  updatePrice(): void {}

  resize(key: string): Promise<CampaignStop> {
    return Promise.reject(new NotFoundError(key));
  }

  remove(key: string): Promise<boolean> {
    return this.#naive.remove(key);
  }

  restore(): Promise<unknown> {
    return Promise.resolve();
  }

  reconcile(): Promise<unknown> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  onIdle(): Promise<void> {
    return Promise.resolve();
  }

  get(key: string): CampaignStop | undefined {
    const stop = this.#naive.get(key);
    return stop === undefined ? undefined : viewOf(stop);
  }

  on(): unknown {
    return this;
  }
}

/** The naive registry as a campaign variant; it has no memory the checks could compare. */
export const doubleCheckVariant: Variant = {
  name: 'DoubleCheckRegistry (naive)',
  memoryView: false,
  build: ({ placer, store, owner }) => new DoubleCheckSubject(new DoubleCheckRegistry({ placer, store, owner }), owner),
};
