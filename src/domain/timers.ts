/** Timer helpers shared by the layers that arm timers through the injected clock. */

/** Lets the process exit while only this timer is pending (a no-op for handles without `unref`). */
export function unref(handle: unknown): void {
  if (typeof handle === 'object' && handle !== null && 'unref' in handle) (handle as { unref(): void }).unref();
}
