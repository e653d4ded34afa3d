/** The command line is checked completely before anything is opened: each mistake is one line and exit code 2. */
import { describe, expect, it } from 'vitest';
import { parseArguments } from '../../src/cli/arguments.js';
import { cli } from './run.js';

describe('CLI arguments', () => {
  it.each([
    [[], 'Name a command: list, show, prune, export or import; see --help'],
    [['lst', '--sqlite', 'a.db'], 'Unknown command `lst` (did you mean `list`?); see --help'],
    [['destroy', '--sqlite', 'a.db'], 'Unknown command `destroy`; see --help'],
    [['list', '--sqlte', 'a.db'], 'Unknown option `--sqlte` (did you mean `--sqlite`?); see --help'],
    [['list', '-x'], 'Unknown option `-x`; see --help'],
    [['list'], 'Name the store: --sqlite FILE or --postgres URL'],
    [['list', '--sqlite'], '`--sqlite` needs a value: --sqlite FILE'],
    [['list', '--sqlite='], '`--sqlite` needs a value: --sqlite FILE'],
    [['list', '--sqlite', 'a.db', '--sqlite', 'b.db'], '`--sqlite` is given twice'],
    [['list', '--sqlite', 'a.db', '--postgres', 'postgres://localhost/db'], 'Give one store: --sqlite FILE or --postgres URL, not both'],
    [['list', '--sqlite', 'a.db', '--schema', 'trading'], '`--schema` applies to --postgres only'],
    [['list', '--sqlite', 'a.db', '--json=yes'], '`--json` takes no value'],
    [['show', '--sqlite', 'a.db'], '`show` needs KEY: trailing-stop-registry show KEY'],
    [['show', 'A', 'B', '--sqlite', 'a.db'], 'Unexpected argument `B` after `show KEY`'],
    [['list', 'extra', '--sqlite', 'a.db'], 'Unexpected argument `extra` after `list`'],
    [['prune', '--json', '--sqlite', 'a.db'], '`--json` applies to `list` only'],
    [['list', '--dry-run', '--sqlite', 'a.db'], '`--dry-run` applies to `prune` only'],
    [['list', '--postgres', 'not a url'], '`--postgres` expects a URL such as postgres://USER@HOST:5432/DATABASE'],
    [['list', '--postgres', 'mysql://root@localhost/db'], '`--postgres` expects a postgres:// or postgresql:// URL'],
  ])('%j is refused: %s', async (argv, message) => {
    expect(() => parseArguments(argv)).toThrow(message);
    const run = await cli(argv);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `trailing-stop-registry: ${message}\n` });
  });

  it('refuses a table or schema name that is not a plain SQL identifier', async () => {
    const run = await cli(['list', '--postgres', 'postgres://localhost/db', '--schema', 'public; DROP TABLE x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^trailing-stop-registry: Expected `--schema` to be an SQL identifier/);
    expect((await cli(['list', '--sqlite', 'a.db', '--table', 'a-b'])).stderr).toMatch(/Expected `--table` to be an SQL identifier/);
  });

  it('parses options before or after the command, with = or a separate value', () => {
    expect(parseArguments(['--sqlite=a.db', 'list', '--json'])).toEqual({
      command: 'list',
      target: { kind: 'sqlite', file: 'a.db', table: undefined },
      json: true,
      dryRun: false,
      key: undefined,
      file: undefined,
    });
    expect(parseArguments(['show', '--postgres', 'postgres://u@h/db', '--schema', 'trading', '--table', 'stops', '--', '-odd-key'])).toMatchObject({
      command: 'show',
      key: '-odd-key',
      target: { kind: 'postgres', url: 'postgres://u@h/db', schema: 'trading', table: 'stops' },
    });
    expect(parseArguments(['import', 'backup.jsonl', '--sqlite', 'a.db'])).toMatchObject({ command: 'import', file: 'backup.jsonl' });
    expect(parseArguments(['prune', '--dry-run', '--sqlite', 'a.db'])).toMatchObject({ command: 'prune', dryRun: true });
  });

  it('prints the help on --help, -h or help, and the version on --version', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['list', '--help']]) {
      const run = await cli(argv);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: trailing-stop-registry <command> \(--sqlite FILE \| --postgres URL/);
      expect(run.stdout).toContain('import [FILE]');
    }
    const version = await cli(['--version']);
    expect(version).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });

  it('never prints the password of a --postgres URL, even in an argument error', async () => {
    const run = await cli(['list', '--postgres', 'postgres://bot:hunter2@db.internal:5432/trading', '--schema', 'bad name']);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain('hunter2');
    const typo = await cli(['lst', '--postgres', 'postgres://bot:hunter2@db.internal:5432/trading']);
    expect(typo.stderr).not.toContain('hunter2');
  });
});
