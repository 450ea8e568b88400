import { CaptureSession, captureAgent, type CaptureResult } from '../../capture/index.js';
import { InvalidArgumentError } from '../../errors/index.js';
import { applySavedPolicy } from '../../gc/index.js';
import { openRepository, parseCommandArgs, positionals, storeDir, type Command } from '../command.js';
import { formatBytes } from '../output.js';
import { CAPTURE_FLAGS, captureOptionsFrom } from './capture.js';

export const watchCommand: Command = {
  name: 'watch',
  summary: 'capture an agent directory whenever it changes (checkpoints every few seconds)',
  usage: `Usage: memsnap watch [DIR] [options]

Watches DIR (default: the current directory) and captures it whenever something in it
changed, at most once every --every seconds, until interrupted (Ctrl-C or SIGTERM: a
capture in progress finishes first). Captures go through one capture session: only
directories with changes are looked at again, so each costs what changed. A change that
leaves every source as it was (a file written back unchanged) records nothing.

Options:
  --every SECONDS         least time between captures (default 5)
  --max-captures N        stop after N snapshots (default: run until interrupted)
  --kind KIND             as for capture (default automatic)
  --agent, --tag, -m, --include, --exclude, --state, --database, --no-git, --no-forget
                          as for capture
  --store DIR             see memsnap --help
  --json                  one JSON object per snapshot, one per line`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, { ...CAPTURE_FLAGS, every: { type: 'string' }, 'max-captures': { type: 'string' } });
    if (values['idempotency-key']) throw new InvalidArgumentError('watch takes no --idempotency-key (every capture is a new turn)');
    const [dir = '.'] = positionals(pos, 0, 1, 'at most one directory');
    const everyMs = seconds(values.every ?? '5', '--every') * 1000;
    const maxCaptures = values['max-captures'] === undefined ? Infinity : count(values['max-captures'], '--max-captures');
    const options = captureOptionsFrom(values, dir, 'automatic');
    const store = storeDir(values.store, env);
    const { repo, created } = await openRepository(store, true);
    if (created) out.note(`created store ${store}`);
    const session = CaptureSession.start(dir);
    let stopping = false;
    let wakeSleep: (() => void) | undefined;
    const stop = (): void => {
      stopping = true;
      wakeSleep?.();
      session.journal?.close(); // wakes a wait for changes
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // The journal's watches never keep the process alive: this timer does, while watching.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    let taken = 0;
    try {
      let first = true;
      while (!stopping && taken < maxCaptures) {
        if (!first) {
          await session.journal!.changed();
          if (stopping) break;
        }
        const started = Date.now();
        const result = await captureAgent(repo, { ...options, session, skipIfUnchanged: !first });
        first = false;
        if (!result.unchanged) {
          taken++;
          const forgot = values['no-forget'] ? undefined : applySavedPolicy(repo, result.snapshot.agent);
          report(result, forgot?.removed ?? 0);
        }
        // At most one capture per interval: changes meanwhile wait in the journal.
        const rest = everyMs - (Date.now() - started);
        if (rest > 0 && !stopping && taken < maxCaptures) {
          await new Promise<void>((resolve) => {
            wakeSleep = resolve;
            setTimeout(resolve, rest);
          });
          wakeSleep = undefined;
        }
      }
      return 0;
    } finally {
      clearInterval(keepAlive);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      session.close();
      await repo.close();
    }

    function report(result: CaptureResult, forgotten: number): void {
      for (const w of result.warnings) out.note(`warning: ${w}`);
      if (out.json) {
        out.jsonLine({ store, snapshot: result.snapshot, stats: result.stats, warnings: result.warnings, ...(forgotten ? { forgotten } : {}) });
        return;
      }
      const s = result.stats;
      out.line(
        `${new Date(result.snapshot.timeMs).toISOString()} captured ${result.snapshot.agent}@${result.snapshot.seq} ${result.snapshot.id.slice(0, 12)}: ` +
          `${s.filesRead} files and ${s.databasesRead} databases read, ${formatBytes(s.bytesStored)} new, ${s.durationMs.toFixed(0)} ms`,
      );
    }
  },
};

function seconds(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag} must be a number of seconds ≥ 0, got ${JSON.stringify(text)}`);
  return n;
}

function count(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a whole number ≥ 1, got ${JSON.stringify(text)}`);
  return n;
}
