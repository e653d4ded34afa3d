/**
 * NAIVE variant without single flight: every `create()` call does the whole creation itself, as
 * if each caller ran its own copy of the registry (same owner, same store, same venue). What
 * single flight prevents is then open: concurrent creations of one key on one "registry" resolve
 * to different stop objects, each doing the work (I1). Other calls go to every copy made so far.
 */
import { TrailingStopRegistry, type CreateStopSpec } from '../../src/index.js';
import { campaignRegistryOptions, type CampaignRegistry, type CampaignStop, type RegistryPorts, type Variant } from '../support/campaign-world.js';

/** See the module comment. */
export class NoSingleFlightRegistry implements CampaignRegistry {
  readonly owner: string;
  readonly #make: () => TrailingStopRegistry;
  readonly #copies: TrailingStopRegistry[] = [];
  readonly #listeners: ((...args: unknown[]) => void)[] = [];

  constructor(make: () => TrailingStopRegistry) {
    this.#make = make;
    this.owner = this.#copy().owner;
  }

  create(spec: CreateStopSpec): Promise<CampaignStop> {
    return this.#copy().create(spec);
  }

  createMany(specs: readonly CreateStopSpec[]): Promise<PromiseSettledResult<CampaignStop>[]> {
    return Promise.allSettled(specs.map((spec) => this.create(spec)));
  }

  updatePrice(symbol: string, price: number, timestamp?: number): void {
    for (const copy of this.#copies) copy.updatePrice(symbol, price, timestamp);
  }

  resize(key: string, quantity: number): Promise<CampaignStop> {
    return (this.#holder(key) ?? this.#copies[0]!).resize(key, quantity);
  }

  async remove(key: string): Promise<boolean> {
    let removed = false;
    for (const copy of this.#copies) if (copy.has(key)) removed = (await copy.remove(key)) || removed;
    return removed || this.#copies[0]!.remove(key);
  }

  restore(options: { prices: Record<string, number> }): Promise<unknown> {
    return this.#copies[0]!.restore(options);
  }

  reconcile(options: { prices: Record<string, number> }): Promise<unknown> {
    return this.#copies[0]!.reconcile(options);
  }

  async close(): Promise<void> {
    await Promise.all(this.#copies.map((copy) => copy.close()));
  }

  async onIdle(): Promise<void> {
    await Promise.all(this.#copies.map((copy) => copy.onIdle()));
  }

  get(key: string): CampaignStop | undefined {
    return this.#holder(key)?.get(key);
  }

  on(event: 'error', listener: (...args: unknown[]) => void): unknown {
    this.#listeners.push(listener);
    for (const copy of this.#copies) copy.on(event, listener as never);
    return this;
  }

  /** The newest copy that holds `key`. */
  #holder(key: string): TrailingStopRegistry | undefined {
    return [...this.#copies].reverse().find((copy) => copy.has(key));
  }

  #copy(): TrailingStopRegistry {
    const copy = this.#make();
    for (const listener of this.#listeners) copy.on('error', listener as never);
    this.#copies.push(copy);
    return copy;
  }
}

/** The variant: one fresh copy of the real registry per creation. */
export const noSingleFlightVariant: Variant = {
  name: 'no single flight (naive)',
  memoryView: true,
  build: ({ options, ...ports }: RegistryPorts) =>
    new NoSingleFlightRegistry(() => new TrailingStopRegistry({ ...campaignRegistryOptions, ...options, ...ports })),
};
