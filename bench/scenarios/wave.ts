/**
 * `wave`: N creations for N different keys at once (the seed bot's signal wave), placer latency
 * L, concurrency bound c. The physical limit for the bound is ceil(N / c) x L; a global lock
 * takes N x L.
 */
import { creationStrategies } from '../strategies/index.js';
import { FailureNotes, makeSpecs, runCreations, warmUpCreations } from './creations.js';
import { repeat, type Scenario } from './scenario.js';

export const wave: Scenario = {
  name: 'wave',
  description: 'N creations for N keys at once, latency-bound: wall time against the ideal ceil(N/bound) x latency',
  async run(context) {
    const creations = context.quick ? 100 : 200;
    const latencyMs = 25;
    const concurrency = 50;
    const repetitions = context.quick ? 1 : 5;
    const idealMs = Math.ceil(creations / concurrency) * latencyMs;
    const failures = new FailureNotes();
    let maxInFlight = 0;
    const byName = new Map(creationStrategies.map((definition) => [definition.name, definition]));
    await warmUpCreations(creationStrategies, context.progress);
    const strategies = await repeat(context, 'wave', [...byName.keys()], repetitions, async (name) => {
      const specs = makeSpecs(creations, (index) => `WAVE${index}`);
      const run = await runCreations(byName.get(name)!, specs, latencyMs, concurrency);
      failures.add(name, run);
      maxInFlight = Math.max(maxInFlight, run.maxInFlight);
      return { wallMs: run.wallMs, idealMs, exchangeCalls: run.exchangeCalls, liveOrders: run.liveOrders, orphans: run.orphans };
    });
    return {
      name: 'wave',
      description: this.description,
      parameters: { creations, keys: creations, latencyMs, concurrency, repetitions, warmUp: true },
      repetitions,
      strategies,
      notes: [`Most venue calls in flight at once, any strategy: ${maxInFlight} (bound ${concurrency}).`, ...failures.lines()],
    };
  },
};
