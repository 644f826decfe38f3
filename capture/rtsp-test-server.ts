/**
 * A real RTSP camera for tests and `bench:capture`: Debian's `rtsp-server-perl` on free ports, fed by an
 * `ffmpeg -re -stream_loop -1 -i clip.mp4 -c copy -f rtsp` publisher, and a clip of synthetic plate scenes
 * made with ffmpeg. The server hands media to clients over UDP (RTP); `rtsp_transport: udp` reads it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../shared/util/free-port.ts';
import { waitFor } from '../shared/util/wait.ts';

export const RTSP_SERVER_BIN = 'rtsp-server-perl';

/** Why the RTSP tests cannot run here (a missing program), or undefined when they can. */
export function rtspUnavailable(ffmpegPath = 'ffmpeg'): string | undefined {
  for (const bin of [ffmpegPath, RTSP_SERVER_BIN]) {
    const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
    if (r.status !== 0) {
      return `${bin} is not installed (Debian: apt-get install ${bin === RTSP_SERVER_BIN ? 'rtsp-server-perl' : 'ffmpeg'})`;
    }
  }
  return undefined;
}

/**
 * Renders `seconds` of H.264 video (each synthetic plate scene shown for `sceneSeconds`) into an .mp4.
 * The scenes come from models/synthetic, piped into ffmpeg as JPEGs.
 */
export async function makePlateClip(opts: {
  path: string;
  width: number;
  height: number;
  fps: number;
  scenes?: number;
  sceneSeconds?: number;
  /** Temporal noise strength (0-100): every frame differs, as a real sensor's do, so decoding costs what it would. */
  noise?: number;
  /** Video bitrate, e.g. "2M" (what a 720p IP camera typically sends); default: the encoder's choice. */
  bitrate?: string;
  ffmpegPath?: string;
}): Promise<void> {
  const { demoFrames } = await import('../models/synthetic/demo-set.ts');
  const scenes = await demoFrames({ count: opts.scenes ?? 6 });
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'image2pipe',
    '-framerate',
    String(1 / (opts.sceneSeconds ?? 1)),
    '-i',
    '-',
  ];
  const noise = opts.noise ? `,noise=alls=${opts.noise}:allf=t` : '';
  args.push(
    '-vf',
    `scale=${opts.width}:${opts.height},fps=${opts.fps}${noise}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
  );
  if (opts.bitrate) args.push('-b:v', opts.bitrate, '-maxrate', opts.bitrate, '-bufsize', opts.bitrate);
  args.push('-tune', 'zerolatency', '-g', String(opts.fps), '-pix_fmt', 'yuv420p', opts.path);
  const child = spawn(opts.ffmpegPath ?? 'ffmpeg', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<number | null>((resolve) => child.once('close', resolve));
  for (const s of scenes) child.stdin.write(s.image);
  child.stdin.end();
  const code = await done;
  if (code !== 0) throw new Error(`ffmpeg could not make ${opts.path} (exit ${code}): ${err.trim()}`);
}

export interface RtspPublisher {
  /** Stops the publisher (the camera "goes away"). */
  stop(): Promise<void>;
}

export class RtspTestServer {
  private readonly publishers = new Set<ChildProcess>();

  private constructor(
    private readonly proc: ChildProcess,
    readonly clientPort: number,
    readonly sourcePort: number,
    private readonly ffmpegPath: string,
  ) {}

  static async start(opts: { ffmpegPath?: string } = {}): Promise<RtspTestServer> {
    const clientPort = await freePort();
    const sourcePort = await freePort();
    // Even RTP port pairs from a random base, so servers of parallel test files rarely meet.
    const rtpStart = 20_000 + 2 * Math.floor(Math.random() * 15_000);
    // What /usr/bin/rtsp-server-perl runs, with the package's RTP base port moved too: the server resets
    // its next RTP port to $RTSP::Server::RTP_START_PORT (20000) whenever a connection closes while no
    // stream is mounted, so two servers on one machine (parallel test files, the bench) would both bind
    // 20000 and the second publisher would fail. --rtp_start_port alone does not survive that reset.
    const script = `use strict; use warnings; use AnyEvent; use RTSP::Server;
      $RTSP::Server::RTP_START_PORT = ${rtpStart};
      my $srv = RTSP::Server->new_with_options(); $srv->listen;
      my $cv = AnyEvent->condvar; $SIG{INT} = sub { $cv->send }; $SIG{TERM} = sub { $cv->send }; $cv->recv;`;
    const proc = spawn(
      'perl',
      [
        '-e',
        script,
        '--',
        '--clientport',
        String(clientPort),
        '--serverport',
        String(sourcePort),
        '--client_listen_address',
        '127.0.0.1',
        '--source_listen_address',
        '127.0.0.1',
        '--rtp_start_port',
        String(rtpStart),
        '--loglevel',
        '1',
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    const server = new RtspTestServer(proc, clientPort, sourcePort, opts.ffmpegPath ?? 'ffmpeg');
    await waitFor(() => canConnect(clientPort), {
      timeoutMs: 15_000,
      what: `${RTSP_SERVER_BIN} listening on ${clientPort}`,
    });
    return server;
  }

  /** The URL clients read `path` from. */
  url(path: string): string {
    return `rtsp://127.0.0.1:${this.clientPort}/${path}`;
  }

  /** Publishes a clip in a loop at its real rate under `path`; resolves once clients can DESCRIBE it. */
  async publish(path: string, clip: string): Promise<RtspPublisher> {
    const child = spawn(
      this.ffmpegPath,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-nostdin',
        '-re',
        '-stream_loop',
        '-1',
        '-i',
        clip,
        '-c',
        'copy',
        '-f',
        'rtsp',
        `rtsp://127.0.0.1:${this.sourcePort}/${path}`,
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    this.publishers.add(child);
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const publisher = {
      // SIGINT: ffmpeg sends TEARDOWN, so the server frees the mount (after a SIGKILL it keeps the mount
      // and answers a new publisher's ANNOUNCE with 403).
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGINT');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
        await exited;
        this.publishers.delete(child);
      },
    };
    try {
      await waitFor(async () => (await describeStatus(this.clientPort, path)) === 200, {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: `the publisher of /${path}`,
      });
    } catch (err) {
      await publisher.stop();
      throw err;
    }
    return publisher;
  }

  async stop(): Promise<void> {
    for (const p of this.publishers) p.kill('SIGKILL');
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.proc.once('close', () => resolve()));
      this.proc.kill('SIGKILL');
      await exited;
    }
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The status code of an RTSP DESCRIBE of `path` (200 once a publisher is there, 404 before). */
function describeStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const done = (code: number) => {
      s.destroy();
      resolve(code);
    };
    s.setTimeout(2000, () => done(0));
    s.once('connect', () =>
      s.write(
        `DESCRIBE rtsp://127.0.0.1:${port}/${path} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n`,
      ),
    );
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const m = /^RTSP\/1\.0 (\d{3})/.exec(got);
      if (m) done(Number(m[1]));
    });
    s.once('error', () => done(0));
  });
}
