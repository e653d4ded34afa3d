/**
 * The documentation cites only what the repository holds: every relative link in README.md,
 * CONTRIBUTING.md and docs/*.md points at an existing file (and an existing heading, for
 * `#anchors` into Markdown), every repository path written as code exists, and every page in docs/
 * can be reached from README.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const docsFolder = join(root, 'docs');
const pages = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(docsFolder)
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Top-level folders whose paths the docs cite, and the folders of `src/` cited without `src/`. */
const repositoryPath = /^(?:src|test|examples|bench|scripts|docs|\.ci)\/[\w./*{},-]*$/;
const sourcePath = /^(?:domain|policy|ports|stop|exchange|recovery|registry|stores|placers|testing)\/[\w/.-]+\.ts$/;

/** A page's prose and inline code, without fenced code blocks; and its shell blocks apart. */
function split(text: string): { prose: string; shell: string[] } {
  const shell: string[] = [];
  const prose = text.replace(/^```(\w*)\n([\s\S]*?)^```$/gm, (_block, language: string, body: string) => {
    if (language === 'sh') shell.push(body);
    return '';
  });
  return { prose, shell };
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const { prose } = split(readFileSync(file, 'utf8'));
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of prose.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(match[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** `a/{b,c}.md` -> `a/b.md`, `a/c.md`. */
function expandBraces(path: string): string[] {
  const match = /\{([^}]*)\}/.exec(path);
  if (match === null) return [path];
  return match[1]!.split(',').flatMap((part) => expandBraces(path.replace(match[0], part)));
}

/** True when `path` (relative to the root, `*` allowed in the last segment) names something that exists. */
function exists(path: string): boolean {
  const clean = path.replace(/\/$/, '');
  if (!clean.includes('*')) return existsSync(join(root, clean));
  const folder = join(root, dirname(clean));
  const pattern = new RegExp(`^${clean.split('/').at(-1)!.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return existsSync(folder) && readdirSync(folder).some((name) => pattern.test(name));
}

/** Placeholders such as `examples/NAME.ts` stand for a family of files, not one. */
const isPlaceholder = (path: string) => /(?:^|\/)[A-Z]{3,}\b/.test(path);

describe.each(pages)('%s', (page) => {
  const file = join(root, page);
  const text = readFileSync(file, 'utf8');
  const { prose, shell } = split(text);

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const match of prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const destination = path === '' ? file : resolve(dirname(file), path);
      if (!existsSync(destination)) {
        broken.push(`${target} (no file ${relative(root, destination)})`);
        continue;
      }
      if (anchor !== undefined && destination.endsWith('.md') && statSync(destination).isFile() && !anchorsOf(destination).has(anchor)) {
        broken.push(`${target} (no heading #${anchor} in ${relative(root, destination)})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('names only repository paths that exist', () => {
    const cited = new Set<string>();
    for (const match of prose.matchAll(/`([^`\n]+)`/g)) {
      for (const token of match[1]!.split(/\s+/)) cited.add(token);
    }
    for (const block of shell) for (const token of block.split(/\s+/)) cited.add(token);
    const missing: string[] = [];
    for (const token of cited) {
      const path = token.replace(/[,;:)]+$/, '');
      if (isPlaceholder(path)) continue;
      if (repositoryPath.test(path)) {
        for (const candidate of expandBraces(path)) if (!exists(candidate)) missing.push(candidate);
      } else if (sourcePath.test(path) && !exists(`src/${path}`)) {
        missing.push(`src/${path}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

it('every page in docs/ can be reached from README', () => {
  const reached = new Set<string>();
  const queue = ['README.md'];
  while (queue.length > 0) {
    const page = queue.shift()!;
    if (reached.has(page)) continue;
    reached.add(page);
    const { prose } = split(readFileSync(join(root, page), 'utf8'));
    for (const match of prose.matchAll(/\]\(([^)#\s]+\.md)(?:#[^)]*)?\)/g)) {
      const target = relative(root, resolve(dirname(join(root, page)), match[1]!));
      if (existsSync(join(root, target))) queue.push(target);
    }
  }
  const unreachable = pages.filter((page) => page.startsWith('docs/') && !reached.has(page));
  expect(unreachable).toEqual([]);
});

it('every "docs/design.md section N" cited in the code names a section that exists', () => {
  const sections = new Set(
    [...readFileSync(join(docsFolder, 'design.md'), 'utf8').matchAll(/^## (\d+)\. /gm)].map((match) => Number(match[1])),
  );
  const files = (folder: string): string[] =>
    readdirSync(join(root, folder), { withFileTypes: true }).flatMap((item) =>
      item.isDirectory() ? files(`${folder}/${item.name}`) : /\.(ts|mjs|sh)$/.test(item.name) ? [`${folder}/${item.name}`] : [],
    );
  const dangling: string[] = [];
  for (const file of ['src', 'test', 'bench', 'examples', 'scripts'].flatMap(files)) {
    for (const match of readFileSync(join(root, file), 'utf8').matchAll(/docs\/design\.md,? sections? (\d+)/g)) {
      if (!sections.has(Number(match[1]))) dangling.push(`${file}: section ${match[1]}`);
    }
  }
  expect(sections.size).toBeGreaterThanOrEqual(10);
  expect(dangling).toEqual([]);
});
