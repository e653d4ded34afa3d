/** Waiting with an AbortSignal, shared by the registry (callers' signals) and the adapters. */

/**
 * Settles as `promise` does, or rejects with `abortError()` as soon as `signal` aborts. The work
 * behind `promise` is not stopped: only this wait is detached (it may be shared, or already at the
 * venue). The abort listener is removed once settled, so long-lived signals do not leak.
 */
export function detachOnAbort<T>(promise: Promise<T>, signal: AbortSignal, abortError: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
