/**
 * The command line: `trailing-stop-registry <command> (--sqlite FILE | --postgres URL) [options]`,
 * parsed and checked completely before anything is opened. Every mistake is a {@link CliError}
 * with exit code 2 that names the argument (and, for a typo, the closest known name).
 */
import { parseArgs } from 'node:util';
import { assertIdentifier, maximumTableNameLength } from '../stores/identifier.js';
import { closestName } from '../domain/names.js';
import { CliError } from './cli-error.js';

/** The commands, each with the options it takes beyond the store's. */
export const commands = {
  list: { options: ['json'], positionals: [] },
  show: { options: [], positionals: ['KEY'] },
  prune: { options: ['dry-run'], positionals: [] },
  export: { options: [], positionals: [] },
  import: { options: [], positionals: ['[FILE]'] },
} as const satisfies Record<string, { options: readonly string[]; positionals: readonly string[] }>;

/** A command name. */
export type CommandName = keyof typeof commands;

/** Where the records are. */
export type StoreTarget =
  | { readonly kind: 'sqlite'; readonly file: string; readonly table: string | undefined }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string | undefined; readonly table: string | undefined };

/** A command to run, fully checked. */
export interface CommandArguments {
  readonly command: CommandName;
  readonly target: StoreTarget;
  /** `list --json`. */
  readonly json: boolean;
  /** `prune --dry-run`. */
  readonly dryRun: boolean;
  /** `show KEY`. */
  readonly key: string | undefined;
  /** `import FILE`; `undefined` or `-` reads standard input. */
  readonly file: string | undefined;
}

/** What the command line asks for. */
export type ParsedArguments = { readonly command: 'help' } | { readonly command: 'version' } | CommandArguments;

const valueOptions = { sqlite: 'FILE', postgres: 'URL', schema: 'NAME', table: 'NAME' } as const;
const flagOptions = ['json', 'dry-run', 'help', 'version'] as const;
const optionNames: readonly string[] = [...Object.keys(valueOptions), ...flagOptions];
const commandNames: readonly string[] = Object.keys(commands);

/** Parses `argv` (without the node and script paths). */
export function parseArguments(argv: readonly string[]): ParsedArguments {
  const { tokens } = parseArgs({
    args: [...argv],
    options: {
      sqlite: { type: 'string' },
      postgres: { type: 'string' },
      schema: { type: 'string' },
      table: { type: 'string' },
      json: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const values = new Map<string, string | true>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const name = token.name;
    if (!optionNames.includes(name)) {
      const closest = closestName(name, optionNames);
      throw new CliError(`Unknown option \`${token.rawName}\`${closest === undefined ? '' : ` (did you mean \`--${closest}\`?)`}; see --help`);
    }
    if (values.has(name)) throw new CliError(`\`--${name}\` is given twice`);
    if (name in valueOptions) {
      const placeholder = valueOptions[name as keyof typeof valueOptions];
      if (token.value === undefined || token.value === '') throw new CliError(`\`--${name}\` needs a value: --${name} ${placeholder}`);
      values.set(name, token.value);
    } else {
      if (token.value !== undefined) throw new CliError(`\`--${name}\` takes no value`);
      values.set(name, true);
    }
  }
  if (values.has('help') || positionals[0] === 'help') return { command: 'help' };
  if (values.has('version')) return { command: 'version' };

  const command = positionals.shift();
  if (command === undefined) throw new CliError('Name a command: list, show, prune, export or import; see --help');
  if (!commandNames.includes(command)) {
    const closest = closestName(command, commandNames);
    throw new CliError(`Unknown command \`${command}\`${closest === undefined ? '' : ` (did you mean \`${closest}\`?)`}; see --help`);
  }
  const name = command as CommandName;
  const allowed: readonly string[] = commands[name].options;
  for (const flag of ['json', 'dry-run']) {
    if (values.has(flag) && !allowed.includes(flag)) {
      const owner = commandNames.find((other) => (commands[other as CommandName].options as readonly string[]).includes(flag));
      throw new CliError(`\`--${flag}\` applies to \`${owner}\` only`);
    }
  }
  const expected = commands[name].positionals;
  const required = expected.filter((positional) => !positional.startsWith('['));
  if (positionals.length < required.length) throw new CliError(`\`${name}\` needs ${required.join(' ')}: trailing-stop-registry ${name} ${expected.join(' ')}`);
  if (positionals.length > expected.length) {
    throw new CliError(`Unexpected argument \`${positionals[expected.length]}\` after \`${name}${expected.length > 0 ? ` ${expected.join(' ')}` : ''}\``);
  }
  return {
    command: name,
    target: parseTarget(values),
    json: values.has('json'),
    dryRun: values.has('dry-run'),
    key: name === 'show' ? positionals[0] : undefined,
    file: name === 'import' ? positionals[0] : undefined,
  };
}

function parseTarget(values: ReadonlyMap<string, string | true>): StoreTarget {
  const sqlite = values.get('sqlite') as string | undefined;
  const postgres = values.get('postgres') as string | undefined;
  const schema = values.get('schema') as string | undefined;
  const table = values.get('table') as string | undefined;
  if (sqlite !== undefined && postgres !== undefined) throw new CliError('Give one store: --sqlite FILE or --postgres URL, not both');
  if (sqlite === undefined && postgres === undefined) throw new CliError('Name the store: --sqlite FILE or --postgres URL');
  checkIdentifier('--table', table, maximumTableNameLength);
  if (sqlite !== undefined) {
    if (schema !== undefined) throw new CliError('`--schema` applies to --postgres only');
    return { kind: 'sqlite', file: sqlite, table };
  }
  checkIdentifier('--schema', schema);
  checkPostgresUrl(postgres!);
  return { kind: 'postgres', url: postgres!, schema, table };
}

function checkIdentifier(option: string, value: string | undefined, maximumLength?: number): void {
  if (value === undefined) return;
  try {
    assertIdentifier(option, value, maximumLength);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** Checks the URL's form without ever echoing it: it may hold a password. */
function checkPostgresUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError('`--postgres` expects a URL such as postgres://USER@HOST:5432/DATABASE');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new CliError('`--postgres` expects a postgres:// or postgresql:// URL');
  }
}
