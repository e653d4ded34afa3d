/** Runs the CLI in-process with captured output, as an operator's shell would see it. */
import { Readable } from 'node:stream';
import { resolve } from 'node:path';
import { runCli } from '../../src/cli/main.js';

/** The repository root: its node_modules hold better-sqlite3 and pg, as an operator's project would. */
export const projectDirectory = resolve(import.meta.dirname, '../..');

/** What one run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `argv` with `cwd` (default: the repository) and `stdin` text (default: empty). */
export async function cli(argv: readonly string[], options: { cwd?: string; stdin?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    cwd: options.cwd ?? projectDirectory,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
  });
  return { code, stdout, stderr };
}
