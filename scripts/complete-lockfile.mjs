#!/usr/bin/env node
// The npm registry reachable from these machines serves only the Linux builds of rollup's native
// packages, so `npm install` leaves the other platforms' optional entries out of the lockfile and
// `npm ci` (npm 11) then refuses the lockfile. This adds the missing entries, marked optional and
// platform-restricted, so `npm ci` skips them on Linux as it would anyway. Run it after changing
// dependencies: `npm install && node scripts/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const platforms = {
  android: 'android', darwin: 'darwin', freebsd: 'freebsd', linux: 'linux', openbsd: 'openbsd',
  openharmony: 'openharmony', win32: 'win32',
};
const cpus = { 'arm-eabi': 'arm', arm64: 'arm64', x64: 'x64', arm: 'arm', loong64: 'loong64', riscv64: 'riscv64', ppc64: 'ppc64', s390x: 's390x', ia32: 'ia32' };
let added = 0;
for (const [location, entry] of Object.entries({ ...packages })) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = location.includes('node_modules/') ? location.slice(0, location.lastIndexOf('node_modules/')) : '';
    const candidates = [`${base}node_modules/${name}`, `node_modules/${name}`];
    if (candidates.some((candidate) => packages[candidate] !== undefined)) continue;
    const match = /^@rollup\/rollup-([a-z0-9]+)-([a-z0-9]+(?:-eabi)?)/.exec(name);
    if (match === null || platforms[match[1]] === undefined) continue;
    packages[`node_modules/${name}`] = {
      version: version.replace(/^[~^]/, ''),
      cpu: [cpus[match[2]] ?? match[2]],
      license: 'MIT',
      optional: true,
      os: [platforms[match[1]]],
      peer: undefined,
    };
    added++;
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entries`);
