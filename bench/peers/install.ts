/**
 * Makes sure the peers are installed: restic, borgbackup, casync and `time` from Debian
 * (`apt-get install -y`, as root), only when one of them is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const COMMANDS: Record<string, string> = { restic: 'restic', borg: 'borgbackup', casync: 'casync', '/usr/bin/time': 'time' };

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Installs the missing peer packages. @throws when apt-get fails. */
export function ensurePeers(log: (line: string) => void): void {
  const missing = Object.entries(COMMANDS).filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  log(`installing ${missing.join(', ')} with apt-get`);
  execFileSync('apt-get', ['install', '-y', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}
