/**
 * `trailing-stop-registry`: the operator's command line for a registry's store. `runCli` parses the
 * arguments, runs one command and returns the exit code: 0 done, 1 nothing found (`show`), 2 the
 * command could not run (bad arguments, unreachable database, a schema of a newer release, an
 * import refused). Errors are one line on standard error, with any password removed.
 */
import { readFileSync } from 'node:fs';
import { parseArguments, type CommandArguments, type CommandName, type ParsedArguments } from './arguments.js';
import { CliError } from './cli-error.js';
import type { CliIo } from './io.js';
import { scrub, secretsOf } from './redact.js';
import { messageOf } from './store-access.js';
import type { CommandContext } from './commands/context.js';
import { listCommand } from './commands/list.js';
import { showCommand } from './commands/show.js';
import { pruneCommand } from './commands/prune.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';

export type { CliIo, TextOutput } from './io.js';

const handlers: Record<CommandName, (context: CommandContext) => Promise<number>> = {
  list: listCommand,
  show: showCommand,
  prune: pruneCommand,
  export: exportCommand,
  import: importCommand,
};

/** The help text. */
export const usage = `Usage: trailing-stop-registry <command> (--sqlite FILE | --postgres URL [--schema NAME]) [--table NAME]

Inspect and repair the store of trailing-stop-registry. Only prune and import write.

Commands:
  list [--json]       every record, as a table (or a JSON array; unreadable records get a "problem" field)
  show KEY            one record, as JSON
  prune [--dry-run]   delete records of stops that are over: triggered, or failed without an order
                      (--dry-run prints what it would delete and deletes nothing)
  export              every record as JSON lines on standard output
  import [FILE]       restore an export from FILE (or standard input) into an EMPTY store, all or nothing

Store:
  --sqlite FILE       an SQLite file (needs better-sqlite3 installed in the current project)
  --postgres URL      postgres://USER@HOST:PORT/DATABASE (needs pg installed in the current project);
                      keep the password out of the URL: PGPASSWORD or ~/.pgpass are read
  --schema NAME       PostgreSQL schema (default public)
  --table NAME        table (default trailing_stops)

Exit codes: 0 done, 1 show found no record, 2 the command could not run.
`;

/** Runs the command line `argv` (without node and script paths) and resolves its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ParsedArguments | undefined;
  try {
    parsed = parseArguments(argv);
    if (parsed.command === 'help') {
      io.stdout.write(usage);
      return 0;
    }
    if (parsed.command === 'version') {
      io.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    return await handlers[parsed.command]({ args: parsed, io });
  } catch (error) {
    const secrets = parsed !== undefined && 'target' in parsed ? secretsOfTarget(parsed) : secretsInArguments(argv);
    io.stderr.write(`trailing-stop-registry: ${scrub(messageOf(error), secrets)}\n`);
    return error instanceof CliError ? error.exitCode : 2;
  }
}

function secretsOfTarget(parsed: CommandArguments): string[] {
  return parsed.target.kind === 'postgres' ? secretsOf(parsed.target.url) : [];
}

/** Before the arguments parse, any value that looks like a URL with a password is a secret. */
function secretsInArguments(argv: readonly string[]): string[] {
  return argv.flatMap((argument) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(argument.replace(/^--postgres=/, '')) ? secretsOf(argument.replace(/^--postgres=/, '')) : []));
}

function packageVersion(): string {
  // dist/cli/index.js and src/cli/main.ts both sit two levels below the package root.
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
