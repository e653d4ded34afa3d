/**
 * Runs one scenario in its own process, started by run.ts with `fork` (IPC channel), so that no
 * scenario measures a heap, a JIT state or timers left behind by another. Protocol, child to
 * parent: `{ type: 'progress', message }`, `{ type: 'warning', name, message }`, then exactly one
 * `{ type: 'result', result }` or `{ type: 'error', message }`.
 *
 * Arguments: `<scenario> <quick: 0|1> <seed>`.
 */
import { scenarios } from './scenarios/index.js';
import { seededRandom } from './support/random.js';

type Message =
  | { type: 'progress'; message: string }
  | { type: 'warning'; name: string; message: string }
  | { type: 'result'; result: unknown }
  | { type: 'error'; message: string };

const send = (message: Message): Promise<void> =>
  new Promise((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));

const [name, quick, seed] = process.argv.slice(2);
const scenario = scenarios.find((candidate) => candidate.name === name);
process.removeAllListeners('warning');
process.on('warning', (warning) => void send({ type: 'warning', name: warning.name, message: warning.message }));
try {
  if (process.send === undefined) throw new Error('scenario-process.ts must be started by run.ts (fork, with an IPC channel)');
  if (scenario === undefined) throw new Error(`Unknown scenario ${name}`);
  const result = await scenario.run({
    quick: quick === '1',
    progress: (message) => void send({ type: 'progress', message }),
    random: seededRandom(Number(seed)),
  });
  await send({ type: 'result', result });
} catch (error) {
  await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
process.disconnect?.();
