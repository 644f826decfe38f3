import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A watchdog process that kills the capture's ffmpeg children when this process dies without cleaning up
 * (SIGKILL, crash, OOM). It is a tiny `sh` whose stdin is a pipe from us: we write `+PID` when a child
 * starts and `-PID` when it exits; when the pipe closes (we are gone, for whatever reason) it sends SIGTERM
 * to every PID still listed, then SIGKILL after 2 s. No prctl(PR_SET_PDEATHSIG) needed, works on any Unix.
 * On a clean shutdown the capture stops its children itself and then closes the pipe with no PIDs left.
 */
const SCRIPT = `
pids=" "
while read -r line; do
  case "$line" in
    +*) pids="$pids\${line#+} " ;;
    -*) pids=$(printf '%s' "$pids" | sed "s/ \${line#-} / /") ;;
  esac
done
set -- $pids
[ $# -eq 0 ] && exit 0
kill -TERM "$@" 2>/dev/null
sleep 2
kill -KILL "$@" 2>/dev/null
exit 0
`;

export class ChildReaper {
  private readonly proc: ChildProcess;
  private closed = false;

  constructor() {
    // detached: its own process group, so a Ctrl-C to the terminal's group does not kill it before us.
    this.proc = spawn('sh', ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    this.proc.on('error', () => undefined);
    this.proc.stdin?.on('error', () => undefined);
    this.proc.unref();
    (this.proc.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }

  /** PID of the watchdog (tests check it exits). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  watch(pid: number | undefined): void {
    if (pid !== undefined && !this.closed) this.proc.stdin?.write(`+${pid}\n`);
  }

  forget(pid: number | undefined): void {
    if (pid !== undefined && !this.closed) this.proc.stdin?.write(`-${pid}\n`);
  }

  /** Closes the pipe: the watchdog kills whatever is still listed (normally nothing) and exits. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.proc.stdin?.end();
  }
}
