/** What the benchmark ran on, recorded with every result. */
import os from 'node:os';
import { execFileSync } from 'node:child_process';

/** Machine and runtime facts. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly release: string;
  readonly arch: string;
  readonly node: string;
  readonly v8: string;
  readonly commit: string;
  readonly date: string;
}

/** Collects {@link MachineInfo} for this process. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    node: process.version,
    v8: process.versions.v8,
    commit: gitCommit(),
    date: new Date().toISOString(),
  };
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty.length > 0 ? `${commit} (src modified)` : commit;
  } catch {
    return 'unknown';
  }
}
