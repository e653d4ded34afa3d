/**
 * The progress line: rewritten in place on a terminal, one line per step otherwise (CI logs).
 * Written to stderr so stdout carries only the tables.
 */
export class Progress {
  readonly #tty = process.stderr.isTTY === true;
  #width = 0;
  #started = performance.now();

  /** Shows `message` as the current step. */
  update(message: string): void {
    const elapsed = ((performance.now() - this.#started) / 1000).toFixed(1).padStart(5);
    const line = `[${elapsed}s] ${message}`;
    if (this.#tty) {
      process.stderr.write(`\r${line.padEnd(this.#width)}`);
      this.#width = line.length;
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  /** Clears the line (on a terminal) before a table is printed. */
  clear(): void {
    if (this.#tty && this.#width > 0) process.stderr.write(`\r${' '.repeat(this.#width)}\r`);
    this.#width = 0;
  }
}
