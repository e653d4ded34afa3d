/** What every command gets: its checked arguments and the process around it. */
import type { CommandArguments } from '../arguments.js';
import type { CliIo } from '../io.js';

/** One command run. */
export interface CommandContext {
  /** The checked command line. */
  readonly args: CommandArguments;
  /** Where to read and write. */
  readonly io: CliIo;
}
