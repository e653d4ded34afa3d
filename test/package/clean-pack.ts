/**
 * Packs the package the way `npm publish` would from a fresh clone: the repository's files (no
 * dist/, no build output) copied into an empty directory, then `npm pack`, which must build through
 * the `prepack` script. Only node_modules is shared (linked), so nothing is downloaded.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The packed tarball and where it came from. */
export interface CleanPack {
  /** The clean copy of the repository that was packed. */
  readonly checkout: string;
  /** The `.tgz` file. */
  readonly tarball: string;
  /** Every entry of the tarball, without the `package/` prefix, with its mode (e.g. `0o755`). */
  readonly entries: ReadonlyMap<string, number>;
}

/** Copies the repository at `root` (tracked and not-ignored files) and packs it into `destination`. */
export function packCleanCopy(root: string, destination: string): CleanPack {
  const checkout = mkdtempSync(join(tmpdir(), 'tsr-checkout-'));
  try {
    return { checkout, ...copyAndPack(root, checkout, destination) };
  } catch (error) {
    // A failed build or pack leaves no half-made copy behind.
    rmSync(checkout, { recursive: true, force: true });
    throw error;
  }
}

function copyAndPack(root: string, checkout: string, destination: string): Omit<CleanPack, 'checkout'> {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((path) => path !== '' && existsSync(join(root, path)));
  for (const path of files) {
    mkdirSync(dirname(join(checkout, path)), { recursive: true });
    copyFileSync(join(root, path), join(checkout, path));
  }
  if (existsSync(join(checkout, 'dist'))) throw new Error('The clean copy has a dist/ directory: is dist/ tracked or un-ignored?');
  symlinkSync(join(root, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  // Lifecycle scripts must run here even when the test itself was started with --ignore-scripts.
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.npm_config_ignore_scripts;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['pack', '--pack-destination', destination], { cwd: checkout, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tarball = join(destination, readdirSync(destination).find((name) => name.endsWith('.tgz'))!);
  const listing = execFileSync('tar', ['-tzvf', tarball], { encoding: 'utf8' });
  const entries = new Map<string, number>();
  for (const line of listing.trim().split('\n')) {
    // -rw-r--r-- 0/0   1092 1985-10-26 08:15 package/LICENSE
    const match = /^([-dlrwxsStT]{10})\s.*?\spackage\/(.+)$/.exec(line);
    if (match === null) throw new Error(`Unexpected tar listing line: ${line}`);
    entries.set(match[2]!, modeOf(match[1]!));
  }
  return { tarball, entries };
}

function modeOf(permissions: string): number {
  let mode = 0;
  for (const [index, character] of [...permissions.slice(1)].entries()) if (character !== '-') mode |= 1 << (8 - index);
  return mode;
}
