/**
 * What every camera source (ffmpeg child, MJPEG stream, snapshot poller) looks like to the camera runner:
 * it is started, hands over JPEG frames, and ends once with a reason. One source run = one connection
 * attempt; the runner restarts it with backoff.
 */

/** Why a source run ended. `auth`: the camera refused the credentials (401). */
export type FailureKind = 'auth' | 'not-found' | 'refused' | 'stalled' | 'ended' | 'error' | 'spawn';

export interface SourceFailure {
  kind: FailureKind;
  /** One line saying what happened, credentials redacted. */
  message: string;
}

export interface SourceHandlers {
  /** A whole JPEG image arrived (ts = arrival time, ms epoch). */
  onFrame(img: Buffer, ts: number): void;
}

export interface SourceRun {
  /** Resolves once when the run is over: with the failure, or undefined after `stop()`. */
  readonly ended: Promise<SourceFailure | undefined>;
  /** Stops the run (kills the child / aborts the request). Idempotent; resolves when it is gone. */
  stop(): Promise<void>;
}

/** Sorts an error text (ffmpeg stderr, HTTP status line, socket error) into a failure kind. */
export function classifyFailure(text: string): FailureKind {
  if (/\b401\b|unauthori[sz]ed|authori[sz]ation failed/i.test(text)) return 'auth';
  if (/\b404\b|not found|no such file/i.test(text)) return 'not-found';
  if (/connection refused|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|host unreachable|no route to host/i.test(text))
    return 'refused';
  return 'error';
}
