/**
 * The layer rules of docs/design.md section 8, checked on the import graph of src/ (every `import`
 * and `export ... from`, type-only ones included): each layer imports only the layers below it,
 * adapters only ports, domain and errors, and no file takes part in an import cycle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const source = join(root, 'src');

/** Each layer and the layers it may import (itself always included). */
const allowed: Record<string, readonly string[]> = {
  errors: [],
  domain: ['errors'],
  policy: ['domain', 'errors'],
  ports: ['policy', 'domain', 'errors'],
  stop: ['ports', 'policy', 'domain', 'errors'],
  events: ['stop', 'ports', 'policy', 'domain', 'errors'],
  exchange: ['events', 'stop', 'ports', 'policy', 'domain', 'errors'],
  recovery: ['exchange', 'events', 'stop', 'ports', 'policy', 'domain', 'errors'],
  // The registry's default store is the memory adapter.
  registry: ['recovery', 'exchange', 'events', 'stop', 'ports', 'policy', 'domain', 'errors', 'stores'],
  stores: ['ports', 'domain', 'errors'],
  placers: ['ports', 'domain', 'errors'],
  metrics: ['registry', 'events', 'stop', 'ports', 'domain', 'errors'],
  cli: ['stores', 'recovery', 'ports', 'domain', 'errors'],
  testing: ['registry', 'recovery', 'exchange', 'events', 'stop', 'stores', 'placers', 'ports', 'policy', 'domain', 'errors'],
  index: [],
};

/** The layer of a file under src/: its folder, or the root file's name. */
function layerOf(file: string): string {
  const path = relative(source, file).split('\\').join('/');
  const [first, ...rest] = path.split('/');
  return rest.length === 0 ? first!.replace(/\.ts$/, '') : first!;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((item) => {
    const path = join(directory, item.name);
    if (item.isDirectory()) return sourceFiles(path);
    return item.name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of `file`, resolved to the .ts files they name. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
}

/** Imports that break the layer table, as readable lines. */
function findViolations(imports: Map<string, string[]>): string[] {
  const violations: string[] = [];
  for (const [file, targets] of imports) {
    const layer = layerOf(file);
    if (layer === 'index') continue;
    for (const target of targets) {
      const targetLayer = layerOf(target);
      if (targetLayer !== layer && !(allowed[layer] ?? []).includes(targetLayer)) {
        violations.push(`${relative(root, file)} (${layer}) imports ${relative(root, target)} (${targetLayer})`);
      }
    }
  }
  return violations;
}

/** Every import cycle found by a depth-first walk, as `a -> b -> a` lines. */
function findCycles(imports: Map<string, string[]>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'visiting');
    path.push(file);
    for (const target of imports.get(file) ?? []) {
      if (state.get(target) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(target)), target].map((item) => relative(source, item)).join(' -> '));
      } else if (state.get(target) === undefined && imports.has(target)) {
        visit(target);
      }
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of imports.keys()) if (state.get(file) === undefined) visit(file);
  return cycles;
}

const files = sourceFiles(source);
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe('layers (docs/design.md section 8)', () => {
  it('every file of src/ sits in a known layer', () => {
    const unknown = files.map((file) => relative(root, file)).filter((file) => allowed[layerOf(join(root, file))] === undefined);
    expect(unknown).toEqual([]);
  });

  it('every import resolves to a file of src/', () => {
    const missing = [...graph].flatMap(([file, imports]) => imports.filter((target) => !graph.has(target)).map((target) => `${relative(root, file)} -> ${relative(root, target)}`));
    expect(missing).toEqual([]);
  });

  it('each layer imports only the layers below it (adapters: only ports, domain and errors)', () => {
    expect(findViolations(graph)).toEqual([]);
  });

  it('no import cycle', () => {
    expect(findCycles(graph)).toEqual([]);
  });

  it('the check has teeth: it reads the real imports, and finds an upward import and a cycle in a made-up graph', () => {
    expect([...graph.values()].reduce((count, imports) => count + imports.length, 0)).toBeGreaterThan(100);
    expect(importsOf(join(source, 'registry', 'registry.ts')).map((target) => layerOf(target))).toContain('recovery');
    const policy = join(source, 'policy', 'policy.ts');
    const registry = join(source, 'registry', 'registry.ts');
    const store = join(source, 'stores', 'memory.ts');
    const madeUp = new Map([
      [policy, [registry]],
      [registry, [policy]],
      [store, [registry]],
    ]);
    expect(findViolations(madeUp)).toEqual([
      'src/policy/policy.ts (policy) imports src/registry/registry.ts (registry)',
      'src/stores/memory.ts (stores) imports src/registry/registry.ts (registry)',
    ]);
    expect(findCycles(madeUp)).toEqual(['policy/policy.ts -> registry/registry.ts -> policy/policy.ts']);
  });
});
