import { describe, expect, it } from 'vitest';
import {
  cameraFromFields,
  parseCameraConfig,
  redactCameraUrl,
  splitUrlCredentials,
  urlWithCredentials,
} from '../config/camera-config.ts';
import { isPlatestreamError } from '../errors.ts';

function problems(text: string, source = 'cameras.yaml', env: Record<string, string> = {}): string[] {
  try {
    parseCameraConfig(text, { source, env });
  } catch (err) {
    if (isPlatestreamError(err, 'CONFIG_INVALID'))
      return (err.details?.problems as string[]) ?? [err.message];
    throw err;
  }
  return [];
}

describe('cameras file', () => {
  it('reads YAML with defaults, credentials from the environment and roi', () => {
    const { cameras } = parseCameraConfig(
      `
defaults: { fps: 4, rtsp_transport: udp }
cameras:
  - id: gate-1
    url: rtsp://192.168.1.20:554/Streaming/Channels/101
    credentials: { username: admin, password_env: GATE1_PASSWORD }
    roi: 100,400,1720,680
    skip_static: true
  - id: yard
    url: http://cam:p%40ss@192.168.1.30/snapshot.jpg
    type: snapshot
    fps: 1
    rtsp_transport: tcp
`,
      { source: 'cameras.yaml', env: { GATE1_PASSWORD: 's3cret' } },
    );
    expect(cameras).toHaveLength(2);
    const [gate, yard] = cameras;
    expect(gate).toMatchObject({
      id: 'gate-1',
      fps: 4,
      rtspTransport: 'udp',
      credentials: { username: 'admin', password: 's3cret' },
      roi: [
        [100, 400],
        [1820, 400],
        [1820, 1080],
        [100, 1080],
      ],
      skipStatic: true,
      type: 'auto',
    });
    expect(yard).toMatchObject({
      url: 'http://192.168.1.30/snapshot.jpg',
      credentials: { username: 'cam', password: 'p@ss' },
      fps: 1,
      rtspTransport: 'tcp',
      type: 'snapshot',
    });
    expect(Object.isFrozen(gate)).toBe(true);
  });

  it('readers that need no passwords (workers) do not need the password_env variables set', () => {
    const text =
      'cameras:\n  - { id: g, url: rtsp://h/s, roi: "0,0,100,50", credentials: { username: u, password_env: UNSET_VAR_X } }\n';
    expect(() => parseCameraConfig(text, { env: {} })).toThrow(/password_env names UNSET_VAR_X/);
    const { cameras } = parseCameraConfig(text, { env: {}, secrets: 'ignore' });
    expect(cameras[0]).toMatchObject({ id: 'g', credentials: { username: 'u', password: '' } });
    expect(cameras[0]!.roi).toHaveLength(4);
  });

  it('reads JSON by extension', () => {
    const { cameras } = parseCameraConfig(
      JSON.stringify({
        cameras: [
          {
            id: 'c1',
            url: '/videos/loop.mp4',
            fps: 2,
            roi: [
              [0, 0],
              [100, 0],
              [50, 80],
            ],
          },
        ],
      }),
      {
        source: 'cams.json',
      },
    );
    expect(cameras[0]).toMatchObject({
      id: 'c1',
      url: '/videos/loop.mp4',
      fps: 2,
      roi: [
        [0, 0],
        [100, 0],
        [50, 80],
      ],
    });
  });

  it('lists every problem of the file at once, each with its path', () => {
    const found = problems(`
defaults: { fps: 0, colour: red }
cameras:
  - id: "bad id!"
    url: ftp://x/y
  - id: ok-1
    url: rtsp://h/s
    rtsp_transport: carrier-pigeon
    roi: { x: 0.5, y: 0 }
    credentials: { username: u, password_env: NOT_SET_ANYWHERE }
    type: snapshot
    partition: "{1}"
    backoff_min_ms: 5000
    backoff_max_ms: 100
  - id: ok-1
    url: rtsp://h/s2
    wat: 1
`);
    const expected = [
      'defaults.colour: unknown key',
      'defaults.fps',
      'cameras[0].id:',
      'cameras[0].url: scheme "ftp://"',
      'cameras[1].rtsp_transport:',
      'cameras[1].roi:',
      'cameras[1].credentials: password_env names NOT_SET_ANYWHERE',
      'cameras[1].type: "snapshot" does not fit',
      'cameras[1].partition:',
      'cameras[1].backoff_max_ms: 100 is below',
      'cameras[2].wat: unknown key',
    ];
    for (const e of expected)
      expect(
        found.some((p) => p.startsWith(e)),
        `${e} in\n${found.join('\n')}`,
      ).toBe(true);
  });

  it('reports duplicate ids, an empty list and unparsable text', () => {
    expect(problems('cameras:\n  - { id: a, url: rtsp://h/1 }\n  - { id: a, url: rtsp://h/2 }\n')).toEqual([
      'cameras[1].id: "a" is already used by cameras[0]',
    ]);
    expect(problems('cameras: []')).toEqual(['cameras: must be a non-empty list of cameras']);
    expect(() => parseCameraConfig('cameras: [', { source: 'x.yaml' })).toThrow(/x\.yaml: cannot parse/);
  });

  it('one camera from flags goes through the same checks', () => {
    expect(cameraFromFields({ id: 'c', url: 'rtsp://u:p@h/s', fps: 2 })).toMatchObject({
      url: 'rtsp://h/s',
      credentials: { username: 'u', password: 'p' },
      fps: 2,
    });
    expect(() => cameraFromFields({ id: 'c', url: 'rtsp://h/s', fps: -1 })).toThrow(/fps/);
  });

  it('keeps credentials out of URLs shown in logs and puts them back for ffmpeg only', () => {
    const split = splitUrlCredentials('rtsp://admin:pa:ss@10.0.0.5:554/live');
    expect(split).toEqual({
      url: 'rtsp://10.0.0.5:554/live',
      credentials: { username: 'admin', password: 'pa:ss' },
    });
    expect(urlWithCredentials(split.url, split.credentials)).toBe('rtsp://admin:pa%3Ass@10.0.0.5:554/live');
    expect(redactCameraUrl('http://10.0.0.7/snapshot.cgi?chn=1&user=admin&pwd=s3cret&x=1')).toBe(
      'http://10.0.0.7/snapshot.cgi?chn=1&user=***&pwd=***&x=1',
    );
    expect(redactCameraUrl('rtsp://admin:pa%3Ass@10.0.0.5:554/live: 401 Unauthorized')).toBe(
      'rtsp://***@10.0.0.5:554/live: 401 Unauthorized',
    );
  });
});
