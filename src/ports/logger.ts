/**
 * Where the registry writes diagnostics. `console` fits. Context objects never carry secrets.
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
