/**
 * `create-overhead`: the CPU cost of one creation, with a venue that answers on the next
 * microtask (no timer: a timer below ~10 ms would measure the timer). Every strategy runs under
 * the same bound of 50, after an untimed warm-up of every strategy, so the JIT has compiled their
 * code before any is timed.
 *
 * The measured runs feed creations as a steady stream: 50 callers, each creating one stop after
 * another, so 50 creations are in flight at any time (the bound: nothing waits in a queue). Launching
 * all 50,000 at once instead mostly measures the garbage collector promoting 50,000 in-flight
 * creations' state, which no bot has; that variant is also run, fewer times, and reported in the
 * notes.
 */
import { creationStrategies } from '../strategies/index.js';
import { summarize } from '../support/stats.js';
import { shuffled } from '../support/random.js';
import { collectGarbage, nextTurn } from '../support/timing.js';
import { FailureNotes, makeSpecs, runCreations, warmUpCreations } from './creations.js';
import { repeat, type Scenario } from './scenario.js';

export const createOverhead: Scenario = {
  name: 'create-overhead',
  description: 'creations per second with a venue answering on the next microtask (pure overhead)',
  async run(context) {
    const creations = context.quick ? 5_000 : 50_000;
    const concurrency = 50;
    const callers = 50;
    const repetitions = context.quick ? 1 : 5;
    const burstRepetitions = context.quick ? 1 : 3;
    const failures = new FailureNotes();
    const byName = new Map(creationStrategies.map((definition) => [definition.name, definition]));
    await warmUpCreations(creationStrategies, context.progress);
    const strategies = await repeat(context, 'create-overhead', [...byName.keys()], repetitions, async (name) => {
      const specs = makeSpecs(creations, (index) => `C${index}`);
      const run = await runCreations(byName.get(name)!, specs, 0, concurrency, callers);
      failures.add(name, run);
      return { createsPerSecond: (creations / run.wallMs) * 1_000, microsPerCreate: (run.wallMs * 1_000) / creations };
    });
    const burst = new Map<string, number[]>();
    for (let repetition = 0; repetition < burstRepetitions; repetition++) {
      for (const name of shuffled([...byName.keys()], context.random)) {
        context.progress(`create-overhead: ${name}, all at once (run ${repetition + 1}/${burstRepetitions})`);
        collectGarbage();
        await nextTurn();
        const run = await runCreations(byName.get(name)!, makeSpecs(creations, (index) => `B${index}`), 0, concurrency);
        failures.add(name, run);
        burst.set(name, [...(burst.get(name) ?? []), (run.wallMs * 1_000) / creations]);
      }
    }
    const burstText = [...byName.keys()]
      .map((name) => {
        const summary = summarize(burst.get(name)!);
        return `${name} ${summary.median.toFixed(1)} µs (${summary.min.toFixed(1)}–${summary.max.toFixed(1)})`;
      })
      .join(', ');
    const registryBurst = summarize(burst.get('registry')!).median;
    const naiveBurst = summarize(burst.get('double-check')!).median;
    return {
      name: 'create-overhead',
      description: this.description,
      parameters: { creations, keys: creations, latencyMs: 0, concurrency, callers, repetitions, warmUp: true },
      repetitions,
      strategies,
      notes: [
        `${callers} callers each create one stop after another (${callers} creations in flight, none queued behind the bound).`,
        `All ${creations.toLocaleString('en-US')} launched at once instead (${burstRepetitions} run(s), µs per creation, median (min–max)): ${burstText}; ` +
          `registry at ${(naiveBurst / registryBurst).toFixed(2)} x the speed of double-check. In a CPU profile of that variant, 40–50% of the registry's time is garbage collection (the in-flight state of 50,000 creations is promoted to the old generation).`,
        ...failures.lines(),
      ],
    };
  },
};
