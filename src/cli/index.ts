#!/usr/bin/env node
/**
 * Entry of the `trailing-stop-registry` command (package.json `bin`); see main.ts for what it does.
 */
import { runCli } from './main.js';

// Piping into `head` closes standard output early: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  stdinIsTerminal: process.stdin.isTTY === true,
});
