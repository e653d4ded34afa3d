/**
 * `storm`: N concurrent creations for ONE key (duplicate signals, retries, two code paths racing).
 * The right answer is one exchange call and no orphan.
 */
import { creationStrategies } from '../strategies/index.js';
import { FailureNotes, makeSpecs, runCreations, warmUpCreations } from './creations.js';
import { repeat, type Scenario } from './scenario.js';

export const storm: Scenario = {
  name: 'storm',
  description: 'N concurrent creations for one key: exchange calls and orphans left on the venue',
  async run(context) {
    const creations = 100;
    const latencyMs = 25;
    const concurrency = 50;
    const repetitions = context.quick ? 1 : 5;
    const failures = new FailureNotes();
    const byName = new Map(creationStrategies.map((definition) => [definition.name, definition]));
    await warmUpCreations(creationStrategies, context.progress);
    const strategies = await repeat(context, 'storm', [...byName.keys()], repetitions, async (name) => {
      const specs = makeSpecs(creations, () => 'STORM');
      const run = await runCreations(byName.get(name)!, specs, latencyMs, concurrency);
      failures.add(name, run);
      return { exchangeCalls: run.exchangeCalls, orphans: run.orphans, wallMs: run.wallMs };
    });
    return {
      name: 'storm',
      description: this.description,
      parameters: { creations, keys: 1, latencyMs, concurrency, repetitions, warmUp: true },
      repetitions,
      strategies,
      notes: failures.lines(),
    };
  },
};
