import cliProgress from 'cli-progress';
import type { ReplayProgress, ReplaySummary } from './replay.ts';

export interface ProgressReporter {
  update(p: ReplayProgress): void;
  stop(): void;
}

function line(p: ReplayProgress): string {
  const of = p.total !== undefined ? `/${p.total}` : '';
  return `sent ${p.sent}${of} | accepted ${p.accepted} | ${p.fps.toFixed(1)} fps | ${(p.bytes / 1e6).toFixed(1)} MB | rejected ${p.rejected} | retried ${p.retried} | failed ${p.failed}${p.skipped ? ` | skipped ${p.skipped}` : ''}`;
}

/** A cli-progress bar on a TTY; plain lines every `intervalMs` otherwise (logs, CI). */
export function createProgressReporter(
  stream: NodeJS.WriteStream = process.stderr,
  opts: { intervalMs?: number } = {},
): ProgressReporter {
  if (stream.isTTY) {
    let bar: cliProgress.SingleBar | undefined;
    return {
      update(p) {
        const payload = {
          fps: p.fps.toFixed(1),
          rejected: p.rejected,
          retried: p.retried,
          failed: p.failed,
          accepted: p.accepted,
        };
        if (!bar) {
          const withTotal = p.total !== undefined;
          bar = new cliProgress.SingleBar(
            {
              stream,
              format: withTotal
                ? 'replay [{bar}] {value}/{total} | {fps} fps | accepted {accepted} | rejected {rejected} | retried {retried} | failed {failed}'
                : 'replay {value} sent | {fps} fps | accepted {accepted} | rejected {rejected} | retried {retried} | failed {failed}',
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.total ?? 0, p.sent, payload);
        }
        bar.update(p.sent, payload);
      },
      stop() {
        bar?.stop();
      },
    };
  }
  const interval = opts.intervalMs ?? 2000;
  let last = Date.now();
  return {
    update(p) {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      stream.write(`replay: ${line(p)}\n`);
    },
    stop() {},
  };
}

export function formatSummary(s: ReplaySummary): string {
  const rows = [
    `replay finished${s.aborted ? ' (interrupted)' : ''} in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `  sent      ${s.sent}`,
    `  accepted  ${s.accepted} (${s.fps.toFixed(1)} fps, ${(s.bytes / 1e6).toFixed(2)} MB)`,
    `  rejected  ${s.rejected}${fmtReasons(s.rejectedBy)}`,
    `  retried   ${s.retried}${fmtReasons(s.retriedBy)}`,
    `  failed    ${s.failed}`,
    ...(s.skipped > 0
      ? [`  skipped   ${s.skipped} (static: scene unchanged since the camera's last frame sent)`]
      : []),
  ];
  return rows.join('\n');
}

function fmtReasons(by: Record<string, number>): string {
  const e = Object.entries(by);
  return e.length ? ` (${e.map(([k, v]) => `${k}: ${v}`).join(', ')})` : '';
}
