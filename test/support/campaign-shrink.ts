/**
 * Shrinking a fault campaign counterexample further than fast-check does, into a replay test: the
 * property prints the failing run's input (`input: {...}`); {@link minimize} removes commands,
 * fault rules and a third registry, and turns the world's switches to their defaults, one at a
 * time, keeping each change under which some deterministic scheduler policy still breaks the same
 * invariant the same way. Use it from a scratch test:
 *
 * ```ts
 * it('shrink', async () => console.log(JSON.stringify(await minimize(input))), 600_000);
 * ```
 */
import type { CampaignInput } from './campaign-commands.js';
import type { Excuse } from './campaign-open-defects.js';
import { replay } from './campaign-run.js';
import type { ReplayPolicy } from './campaign-scheduler.js';

/** The first line of a failure, with counters, ids and numbers blanked: what "the same way" compares. */
export function signatureOf(message: string): string {
  const first = message.split('\n')[0] ?? '';
  return first.replace(/bot-\d#\d/g, 'bot').replace(/paper-\d+/g, 'paper').replace(/v\d+/g, 'v').replace(/[0-9.]+/g, 'N').slice(0, 80);
}

/** What {@link minimize} found: the smaller input, the policy that breaks it, and how. */
export interface Minimized {
  readonly input: CampaignInput;
  readonly policy: ReplayPolicy;
  readonly failure: string;
}

/**
 * The smallest input found that still fails like `input` under one of `policies` (FIFO, LIFO and
 * 60 seeded orders by default), or `undefined` when `input` itself reproduces under none.
 */
export async function minimize(
  input: CampaignInput,
  options: { readonly excuse?: Excuse; readonly policies?: readonly ReplayPolicy[] } = {},
): Promise<Minimized | undefined> {
  const policies = options.policies ?? ['fifo', 'lifo', ...Array.from({ length: 60 }, (_, index) => ({ seed: index + 1 }))];
  let target: string | undefined;
  const attempt = async (candidate: CampaignInput): Promise<Minimized | undefined> => {
    for (const policy of policies) {
      const failure = await replay(candidate, policy, undefined, options.excuse).then(
        () => undefined,
        (error: unknown) => String((error as Error).message),
      );
      if (failure === undefined) continue;
      target ??= signatureOf(failure);
      if (signatureOf(failure) === target) return { input: candidate, policy, failure: failure.split('\n')[0]! };
    }
    return undefined;
  };
  let best = await attempt(input);
  if (best === undefined) return undefined;
  for (let progress = true; progress; ) {
    progress = false;
    for (const candidate of smaller(best.input)) {
      const found = await attempt(candidate);
      if (found !== undefined) {
        best = found;
        progress = true;
        break;
      }
    }
  }
  return best;
}

/** Inputs one step smaller than `input`: a command, a fault rule or the last registry less, or a switch at its default. */
function* smaller(input: CampaignInput): Generator<CampaignInput> {
  for (let index = input.commands.length - 1; index >= 0; index--) {
    yield { ...input, commands: input.commands.filter((_, other) => other !== index) };
  }
  for (const [slotIndex, slot] of input.slots.entries()) {
    for (const side of ['placer', 'store'] as const) {
      for (let rule = slot[side].length - 1; rule >= 0; rule--) {
        const slots = input.slots.map((each, other) => (other !== slotIndex ? each : { ...each, [side]: each[side].filter((_, r) => r !== rule) }));
        yield { ...input, slots };
      }
    }
  }
  if (input.slots.length > 2) yield { ...input, slots: input.slots.slice(0, -1) };
  const defaults = { time: 'idle', stream: true, watch: true, amend: false, store: 'memory' } as const;
  for (const [field, value] of Object.entries(defaults)) {
    if (input[field as keyof typeof defaults] !== value) yield { ...input, [field]: value };
  }
}
