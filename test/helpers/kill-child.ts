/**
 * Runs a TypeScript child script (through tsx) and kills it with SIGKILL `delayMs` after it
 * prints `ready` on stderr, unless it finishes first. For crash tests.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How a child run ended. `ranMs` counts from its `ready`. */
export interface ChildRun {
  readonly killed: boolean;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ranMs: number;
}

/** Runs `script` with `args`; SIGKILLs it `delayMs` after it is ready. */
export function runAndKillAfterReady(script: string, args: readonly string[], delayMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let readyAt = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (readyAt === 0 && stderr.includes('ready')) {
        readyAt = performance.now();
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ killed: signal === 'SIGKILL', code, stdout, stderr, ranMs: performance.now() - readyAt }));
  });
}
