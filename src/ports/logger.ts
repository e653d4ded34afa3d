/**
 * The logging port: where the registry writes diagnostics, as `(message, context)`. `console` and
 * winston take that order as they are; pino and bunyan take `(context, message)` and plug in
 * through {@link objectFirstLogger}. Context objects never carry secrets.
 */

/**
 * Where the registry writes diagnostics, message first: `logger.warn(message, context)`. `console`
 * and a winston logger satisfy it as they are. For pino or bunyan, which take the context object
 * first, wrap the logger in {@link objectFirstLogger}: passed directly, they would type-check but
 * drop every context field.
 */
export interface Logger {
  /** Fine-grained tracing. */
  debug(message: string, context?: Record<string, unknown>): void;
  /** Notable, expected events. */
  info(message: string, context?: Record<string, unknown>): void;
  /** Something went wrong and was handled. */
  warn(message: string, context?: Record<string, unknown>): void;
  /** Something went wrong and needs attention. */
  error(message: string, context?: Record<string, unknown>): void;
}

/** The default logger: silent (events and promise rejections carry every failure). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * A logger that takes the context object first and the message second, as pino and bunyan do:
 * `logger.info({ key: 'BTCUSDT' }, 'Reconciled')`. The subset of their API that
 * {@link objectFirstLogger} calls.
 */
export interface ObjectFirstLogger {
  /** Logs at debug level. */
  debug(context: Record<string, unknown>, message: string): void;
  /** Logs at info level. */
  info(context: Record<string, unknown>, message: string): void;
  /** Logs at warn level. */
  warn(context: Record<string, unknown>, message: string): void;
  /** Logs at error level. */
  error(context: Record<string, unknown>, message: string): void;
}

const levels = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Adapts a pino or bunyan logger (context first, message second) to the registry's
 * {@link Logger} port (message first), so every context field reaches the log line. Levels map one
 * to one. Pass a child logger to add fields of your own.
 *
 * @param logger A pino or bunyan logger, or anything with the methods of {@link ObjectFirstLogger}.
 * @throws TypeError when `logger` lacks one of `debug`, `info`, `warn`, `error`.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * import { TrailingStopRegistry, objectFirstLogger } from 'trailing-stop-registry';
 *
 * const registry = new TrailingStopRegistry({ placer, logger: objectFirstLogger(pino().child({ component: 'stops' })) });
 * ```
 */
export function objectFirstLogger(logger: ObjectFirstLogger): Logger {
  const missing = levels.filter((level) => typeof (logger as Partial<ObjectFirstLogger> | null | undefined)?.[level] !== 'function');
  if (missing.length > 0) {
    throw new TypeError(`Expected \`logger\` to be a pino or bunyan logger; it has no ${missing.join(', ')} method`);
  }
  // Calls through `logger` each time, so the logger's own level changes keep applying.
  return {
    debug: (message, context) => logger.debug(context ?? {}, message),
    info: (message, context) => logger.info(context ?? {}, message),
    warn: (message, context) => logger.warn(context ?? {}, message),
    error: (message, context) => logger.error(context ?? {}, message),
  };
}
