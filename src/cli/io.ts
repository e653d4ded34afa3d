/** What the CLI reads and writes, passed in so tests run it in-process with captured streams. */

/** A stream the CLI writes text to. */
export interface TextOutput {
  /** Writes `text` as is. */
  write(text: string): unknown;
}

/** The process around one CLI run. */
export interface CliIo {
  /** Directory whose project provides better-sqlite3 or pg, and against which file names resolve. */
  readonly cwd: string;
  /** Command output (tables, JSON, JSON lines). */
  readonly stdout: TextOutput;
  /** Errors, warnings and summaries. */
  readonly stderr: TextOutput;
  /** Input of `import` when no file is named. */
  readonly stdin: AsyncIterable<string | Uint8Array>;
  /** True when standard input is a terminal (`import` then refuses to wait for typing). */
  readonly stdinIsTerminal?: boolean;
}
