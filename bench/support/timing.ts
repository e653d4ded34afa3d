/** Small timing and heap helpers. */
import v8 from 'node:v8';
import vm from 'node:vm';

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const now = (): number => performance.now();

/** Resolves after `ms` on a real timer. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves after the macrotask queue had a turn (lets timers and I/O callbacks run). */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  // Between measurements only: a collection then keeps one strategy's garbage out of the next
  // one's timing. Enabling the flag at run time is documented V8 behaviour for this purpose.
  v8.setFlagsFromString('--expose-gc');
  gc = vm.runInNewContext('gc') as () => void;
}

/** Runs full garbage collections (twice, so weak references and finalizers settle). */
export function collectGarbage(): void {
  gc?.();
  gc?.();
}

/** True when the process was started with --expose-gc (the memory scenario's child is). */
export const gcExposed = (globalThis as { gc?: unknown }).gc !== undefined;
