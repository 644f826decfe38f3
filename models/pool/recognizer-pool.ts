import { Worker } from 'node:worker_threads';
import { PlatestreamError } from '../../shared/errors.ts';
import { type Logger, moduleLogger } from '../../shared/logger.ts';
import type { RecognitionInput, RecognitionResult, Recognizer } from '../../shared/recognizer.ts';
import type { RecognizerOptions } from '../config.ts';
import { disableOnnxruntimeTelemetry } from '../loader.ts';
import { onnxRecognizerId, selectReader } from '../onnx-recognizer.ts';
import {
  errorFromWire,
  type FromThread,
  inputToWire,
  type ThreadData,
  type ToThread,
  type WireInput,
} from './protocol.ts';

export interface RecognizerPoolOptions {
  /** Recogniser threads (LPR_RECOGNIZER_THREADS), each with its own ONNX sessions. */
  threads: number;
  /** close() waits this long for queued and in-flight frames, then as long again for each thread to end. */
  closeTimeoutMs: number;
}

export const RECOGNIZER_POOL_DEFAULTS: Omit<RecognizerPoolOptions, 'threads'> = { closeTimeoutMs: 10_000 };

/** A frame waiting for, or on, a thread. */
interface Job {
  seq: number;
  input: WireInput;
  transfer: ArrayBuffer[];
  resolve(r: RecognitionResult): void;
  reject(err: unknown): void;
  /** The caller was answered (result, error or abort); a late answer from the thread is dropped. */
  settled: boolean;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/** One recogniser thread and what it is doing. */
interface Slot {
  index: number;
  worker: Worker;
  /** The frame on the thread (one at a time: inference is synchronous inside a thread anyway). */
  job?: Job;
  /** warmup() calls waiting for this thread's models. */
  warmups: Waiter[];
  /** Set while close() waits for the thread's `closed`. */
  closing?: Waiter;
  /** Messages awaiting an answer; the thread is ref'd (keeps the process alive) only while this is > 0. */
  pending: number;
  exited: boolean;
}

/** Where a thread starts: thread.js beside this module in dist/, or, under tsx, the bootstrap that registers tsx. */
function threadEntry(): { url: URL; entry?: string } {
  if (import.meta.url.endsWith('.ts'))
    return {
      url: new URL('./thread-boot.mjs', import.meta.url),
      entry: new URL('./thread.ts', import.meta.url).href,
    };
  return { url: new URL('./thread.js', import.meta.url) };
}

/**
 * The ONNX recogniser on a pool of worker threads, each with its own sessions: onnxruntime-node runs
 * inference synchronously on the calling thread, so one process reads frames side by side only from
 * several threads (and one onnxruntime intra-op thread each costs less CPU per frame than intra-op threads).
 *
 * Frames go to an idle thread, else wait in a FIFO queue; the image bytes are copied into a transferred
 * ArrayBuffer and results come back as plain objects. Errors keep their code and message (IMAGE_INVALID is
 * still dead-lettered by the worker). An aborted frame is answered at once with the signal's reason; its
 * thread is told to stop and stays busy until it has. A thread that dies fails its frame with
 * RECOGNITION_FAILED (transient: the worker retries it) and is replaced. Threads start on the first
 * warmup() or recognize(); an idle pool does not keep the process alive.
 */
export class RecognizerPool implements Recognizer {
  readonly id: string;
  private readonly log: Logger;
  private readonly slots: (Slot | undefined)[];
  private readonly queue: Job[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private readonly respawnTimers = new Set<NodeJS.Timeout>();
  /** Consecutive deaths per thread index (reset by an answer): repeated deaths back off. */
  private readonly deaths: number[];
  /** Frames answered per thread index (tests and benchmarks: did every thread work?). */
  private readonly answered: number[];
  private started = false;
  private warmed = false;
  private closed?: Promise<void>;
  private seq = 0;

  constructor(
    private readonly options: Readonly<RecognizerOptions>,
    private readonly pool: RecognizerPoolOptions,
    logger?: Logger,
  ) {
    if (!Number.isInteger(pool.threads) || pool.threads < 1)
      throw new PlatestreamError('CONFIG_INVALID', `recogniser pool: ${pool.threads} threads; use 1 or more`);
    this.id = onnxRecognizerId(options, selectReader(options));
    this.log = logger ?? moduleLogger('models');
    this.slots = Array.from({ length: pool.threads }, () => undefined);
    this.deaths = this.slots.map(() => 0);
    this.answered = this.slots.map(() => 0);
  }

  /** Threads, frames on them, frames waiting, and frames answered per thread. */
  stats(): { threads: number; busy: number; queued: number; answered: number[] } {
    return {
      threads: this.slots.filter((s) => s && !s.exited).length,
      busy: this.slots.filter((s) => s?.job).length,
      queued: this.queue.length,
      answered: [...this.answered],
    };
  }

  /** Test hook: ends thread `index` the way a crash would (its frame fails transiently, a new thread replaces it). */
  async killThread(index: number): Promise<void> {
    await this.slots[index]?.worker.terminate();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    disableOnnxruntimeTelemetry();
    for (let i = 0; i < this.slots.length; i++) this.spawn(i);
  }

  private spawn(index: number): Slot {
    const { url, entry } = threadEntry();
    const workerData: ThreadData = { index, options: this.options, logLevel: this.log.level, entry };
    const worker = new Worker(url, { workerData });
    worker.unref();
    const slot: Slot = { index, worker, warmups: [], pending: 0, exited: false };
    this.slots[index] = slot;
    worker.on('message', (m: FromThread) => this.onMessage(slot, m));
    worker.on('error', (err) => this.log.error({ err, thread: index }, 'recogniser thread failed'));
    worker.on('exit', (code) => this.onExit(slot, code));
    if (this.warmed) {
      // A replacement: load its models now rather than on its first frame.
      this.warmupSlot(slot).catch((err) =>
        this.log.warn({ err, thread: index }, 'replacement recogniser thread did not warm up'),
      );
    }
    return slot;
  }

  private send(slot: Slot, m: ToThread, transfer: ArrayBuffer[] = []): void {
    if (slot.pending++ === 0) slot.worker.ref();
    slot.worker.postMessage(m, transfer);
  }

  private answeredOne(slot: Slot): void {
    if (--slot.pending === 0) slot.worker.unref();
  }

  private warmupSlot(slot: Slot): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      slot.warmups.push({ resolve, reject });
      this.send(slot, { type: 'warmup' });
    });
  }

  async warmup(): Promise<void> {
    this.assertOpen('warm-up');
    this.start();
    await Promise.all(this.slots.map((s) => (s && !s.exited ? this.warmupSlot(s) : undefined)));
    this.warmed = true;
    this.log.info({ model: this.id, threads: this.slots.length }, 'recogniser threads ready');
  }

  recognize(input: RecognitionInput, signal?: AbortSignal): Promise<RecognitionResult> {
    if (this.closed)
      return Promise.reject(
        new PlatestreamError('SHUTTING_DOWN', `recogniser closed; frame ${input.id} not processed`),
      );
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.start();
    return new Promise<RecognitionResult>((resolve, reject) => {
      const wire = inputToWire(input);
      const job: Job = {
        seq: ++this.seq,
        input: wire.input,
        transfer: wire.transfer,
        resolve,
        reject,
        settled: false,
        signal,
      };
      if (signal) {
        job.onAbort = () => {
          if (job.settled) return;
          job.settled = true;
          const queued = this.queue.indexOf(job);
          if (queued >= 0) this.queue.splice(queued, 1);
          const slot = this.slots.find((s) => s?.job === job);
          if (slot && !slot.exited)
            slot.worker.postMessage({ type: 'abort', seq: job.seq } satisfies ToThread);
          reject(signal.reason);
          this.checkDrained();
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.pump();
    });
  }

  /** Hands waiting frames to idle threads, oldest first. */
  private pump(): void {
    for (const slot of this.slots) {
      if (!this.queue.length) break;
      if (!slot || slot.exited || slot.job || slot.closing) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      this.send(slot, { type: 'frame', seq: job.seq, input: job.input }, job.transfer);
    }
    this.checkDrained();
  }

  private settle(job: Job, fn: () => void): void {
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    if (job.settled) return;
    job.settled = true;
    fn();
  }

  private onMessage(slot: Slot, m: FromThread): void {
    switch (m.type) {
      case 'ready':
      case 'warmup-failed': {
        const w = slot.warmups.shift();
        this.answeredOne(slot);
        if (m.type === 'ready') w?.resolve();
        else w?.reject(errorFromWire(m.error));
        return;
      }
      case 'result':
      case 'failed': {
        const job = slot.job;
        if (!job || job.seq !== m.seq) return;
        slot.job = undefined;
        this.answeredOne(slot);
        this.deaths[slot.index] = 0;
        this.answered[slot.index]!++;
        if (m.type === 'result') this.settle(job, () => job.resolve(m.result));
        else this.settle(job, () => job.reject(errorFromWire(m.error)));
        this.pump();
        return;
      }
      case 'closed':
        this.answeredOne(slot);
        slot.closing?.resolve();
        return;
    }
  }

  private onExit(slot: Slot, code: number): void {
    slot.exited = true;
    if (slot.closing) {
      slot.closing.resolve();
      return;
    }
    const why = `recogniser thread ${slot.index} ended (exit code ${code})`;
    this.log.error(
      { thread: slot.index, code, frame: slot.job?.input.id },
      'recogniser thread ended; replacing it',
    );
    const job = slot.job;
    slot.job = undefined;
    if (job) {
      this.settle(job, () =>
        job.reject(
          new PlatestreamError('RECOGNITION_FAILED', `frame ${job.input.id}: ${why} while reading it`, {
            details: { frame: job.input.id, camera: job.input.camera },
          }),
        ),
      );
    }
    for (const w of slot.warmups.splice(0)) w.reject(new PlatestreamError('RECOGNITION_FAILED', why));
    if (this.closed) {
      this.checkDrained();
      return;
    }
    const deaths = ++this.deaths[slot.index]!;
    const delayMs = deaths <= 1 ? 0 : Math.min(30_000, 250 * 2 ** (deaths - 2));
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      if (this.closed) return;
      this.spawn(slot.index);
      this.pump();
    }, delayMs);
    timer.unref();
    this.respawnTimers.add(timer);
    this.pump();
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new PlatestreamError('SHUTTING_DOWN', `recogniser closed; no ${what}`);
  }

  private checkDrained(): void {
    if (this.queue.length || this.slots.some((s) => s?.job && !s.exited)) return;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Resolves when no frame waits or runs, or after `ms`. */
  private drained(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.drainWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.checkDrained();
    });
  }

  /**
   * Idempotent. Frames queued or on a thread finish first (up to closeTimeoutMs; the rest fail with
   * SHUTTING_DOWN), then each thread releases its models and ends (terminated if it takes longer).
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      for (const t of this.respawnTimers) clearTimeout(t);
      this.respawnTimers.clear();
      if (!this.started) return;
      await this.drained(this.pool.closeTimeoutMs);
      for (const job of this.queue.splice(0))
        this.settle(job, () =>
          job.reject(
            new PlatestreamError('SHUTTING_DOWN', `recogniser closed; frame ${job.input.id} not processed`),
          ),
        );
      await Promise.all(
        this.slots.map(async (slot) => {
          if (!slot || slot.exited) return;
          const closed = new Promise<void>((resolve, reject) => {
            slot.closing = { resolve, reject };
          });
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<void>((resolve) => {
            timer = setTimeout(resolve, this.pool.closeTimeoutMs);
          });
          this.send(slot, { type: 'close' });
          await Promise.race([closed, late]);
          clearTimeout(timer);
          if (slot.job) {
            const job = slot.job;
            this.settle(job, () =>
              job.reject(
                new PlatestreamError(
                  'SHUTTING_DOWN',
                  `recogniser closed; frame ${job.input.id} not finished`,
                ),
              ),
            );
          }
          await slot.worker.terminate();
        }),
      );
    })();
    return this.closed;
  }
}
