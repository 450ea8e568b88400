/**
 * A small pool of worker threads running plain-JavaScript source (`eval: true`).
 *
 * Why eval'd source: the same code must run from compiled `dist/` and from TypeScript
 * sources under vitest or tsx, where a worker could not load a `.ts` file. The worker
 * source is a string; native modules it needs are resolved to absolute paths in the main
 * thread and passed in `workerData`.
 *
 * Protocol: the source defines `function setup(workerData)` returning a handler
 * `(message) => ({ result, transfer })`. The pool wraps it, posts `{ ready }` once set up,
 * and answers each job `{ id, ...message }` with `{ id, result }` or `{ id, error }`.
 *
 * Workers are started lazily by {@link WorkerPool.start}, referenced only while they have
 * jobs (an idle pool never keeps the process alive), and given jobs least-busy first. A pool
 * whose workers fail to start or die is `broken`: its pending and later jobs reject, and
 * callers fall back to doing the work in the main thread. The pool never prints.
 */
import { Worker } from 'node:worker_threads';
import { ClosedError } from '../errors/index.js';

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** Label for errors, e.g. `compression pool`. */
  readonly name: string;
  /** Number of worker threads, at least 1. */
  readonly size: number;
  /** Plain-JS source defining `function setup(workerData) { return (message) => ({ result, transfer }) }`. */
  readonly setupSource: string;
  /** Passed to `setup` in every worker (structured-cloned). */
  readonly workerData: unknown;
}

interface PendingJob {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  readonly worker: Worker;
  readonly jobs: Map<number, PendingJob>;
}

const WRAPPER = `
const { parentPort, workerData } = require('node:worker_threads');
let handle;
try {
  handle = setup(workerData);
  parentPort.postMessage({ ready: true });
} catch (err) {
  parentPort.postMessage({ ready: false, error: String((err && err.stack) || err) });
}
parentPort.on('message', (message) => {
  let out;
  try {
    out = handle(message);
  } catch (err) {
    parentPort.postMessage({ id: message.id, error: String((err && err.stack) || err) });
    return;
  }
  parentPort.postMessage({ id: message.id, result: out.result }, out.transfer || []);
});
`;

/** A lazily started pool of eval'd worker threads. */
export class WorkerPool {
  private slots: Slot[] = [];
  private starting: Promise<boolean> | undefined;
  private nextJobId = 1;
  private isReady = false;
  private isBroken = false;
  private closed = false;
  /** Why the pool broke, for the errors of jobs that could not run. */
  private brokenReason = '';

  constructor(private readonly options: WorkerPoolOptions) {}

  /** True once every worker has started and no worker has failed. */
  get ready(): boolean {
    return this.isReady && !this.isBroken;
  }

  /** True when a worker failed to start or died; the pool then refuses jobs. */
  get broken(): boolean {
    return this.isBroken;
  }

  /** Number of jobs sent and not yet answered. */
  get busy(): number {
    let n = 0;
    for (const s of this.slots) n += s.jobs.size;
    return n;
  }

  /** Starts the workers (once); resolves true when all are ready, false when the pool broke. Never rejects. */
  start(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    this.starting ??= this.spawnAll();
    return this.starting;
  }

  private async spawnAll(): Promise<boolean> {
    const source = `${this.options.setupSource}\n${WRAPPER}`;
    const size = Math.max(1, Math.floor(this.options.size));
    const ready: Promise<boolean>[] = [];
    for (let i = 0; i < size; i++) {
      let worker: Worker;
      try {
        worker = new Worker(source, { eval: true, workerData: this.options.workerData });
      } catch (err) {
        this.markBroken(`cannot start a worker: ${String(err)}`);
        return false;
      }
      const slot: Slot = { worker, jobs: new Map() };
      this.slots.push(slot);
      ready.push(this.attach(slot));
    }
    // Referenced while starting (someone awaits the start), unreferenced once idle: an idle
    // pool must never keep the process alive (a CLI would hang after its work). This comes
    // after attaching, because adding a 'message' listener refs the worker's port again.
    const ok = (await Promise.all(ready)).every(Boolean);
    for (const slot of this.slots) if (slot.jobs.size === 0) slot.worker.unref();
    if (ok && !this.isBroken) this.isReady = true;
    return this.ready;
  }

  /** Wires a worker's events; resolves with whether it set up. */
  private attach(slot: Slot): Promise<boolean> {
    return new Promise<boolean>((resolveReady) => {
      let started = false;
      slot.worker.on('message', (msg: { ready?: boolean; id?: number; result?: unknown; error?: string }) => {
        if (!started && msg.ready !== undefined) {
          started = true;
          if (!msg.ready) this.markBroken(`worker setup failed: ${msg.error ?? 'unknown'}`);
          resolveReady(msg.ready);
          return;
        }
        const job = msg.id === undefined ? undefined : slot.jobs.get(msg.id);
        if (!job || msg.id === undefined) return;
        slot.jobs.delete(msg.id);
        if (slot.jobs.size === 0) slot.worker.unref();
        if (msg.error !== undefined) job.reject(new Error(`${this.options.name} worker: ${msg.error}`));
        else job.resolve(msg.result);
      });
      const fail = (reason: string): void => {
        this.markBroken(reason);
        if (!started) {
          started = true;
          resolveReady(false);
        }
      };
      slot.worker.on('error', (err) => fail(`worker error: ${err.message}`));
      slot.worker.on('exit', (code) => {
        if (!this.closed) fail(`worker exited with code ${code}`);
      });
    });
  }

  private markBroken(reason: string): void {
    if (this.isBroken) return;
    this.isBroken = true;
    this.isReady = false;
    this.brokenReason = reason;
    const err = new Error(`${this.options.name}: ${reason}`);
    for (const slot of this.slots) {
      for (const job of slot.jobs.values()) job.reject(err);
      slot.jobs.clear();
      void slot.worker.terminate();
    }
  }

  /**
   * Runs one job on the least busy worker. `transfer` lists ArrayBuffers to move instead of copy.
   * @throws ClosedError after `close`; a plain Error when the pool is not ready or broke, or the
   *   worker's handler threw (callers treat these as "do it in the main thread").
   */
  run<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError(this.options.name));
    if (!this.ready) return Promise.reject(new Error(`${this.options.name} is not ready${this.isBroken ? `: ${this.brokenReason}` : ''}`));
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.jobs.size < slot.jobs.size) slot = s;
    const id = this.nextJobId++;
    return new Promise<T>((resolve, reject) => {
      slot.jobs.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // Referenced while busy, so a process awaiting a job does not exit under it.
      if (slot.jobs.size === 1) slot.worker.ref();
      try {
        slot.worker.postMessage({ ...message, id }, transfer);
      } catch (err) {
        // Never leave a job that cannot be answered: it would keep the worker, and so the
        // process, alive forever.
        slot.jobs.delete(id);
        if (slot.jobs.size === 0) slot.worker.unref();
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Terminates the workers; pending jobs reject. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.isReady = false;
    const err = new ClosedError(this.options.name);
    for (const slot of this.slots) {
      for (const job of slot.jobs.values()) job.reject(err);
      slot.jobs.clear();
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
  }
}
