import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame } from '../../shared/codec/frame-codec.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { silentLogger, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { type IngestService, startIngest } from '../service.ts';
import { makeImage, postFrame, sha256, TOKEN_A, TOKEN_B, testIngestConfig } from './helpers.ts';

const BODY_LIMIT = 64 * 1024;

describe('ingest over real HTTP', () => {
  let t: TestRedis;
  let svc: IngestService;
  let keys: StreamKeys;

  beforeAll(async () => {
    t = await useRedis();
    const config = testIngestConfig(t, { LPR_INGEST_BODY_LIMIT: String(BODY_LIMIT) });
    keys = new StreamKeys(config.redis.prefix);
    svc = await startIngest(config, { logger: silentLogger });
  });
  afterAll(async () => {
    await svc?.close();
    await t.cleanup(keys.prefix);
    await t.close();
  });

  async function entry(id: string) {
    const rows = (await t.client.xrangeBuffer(keys.frames, id, id)) as [Buffer, Buffer[]][];
    expect(rows).toHaveLength(1);
    return decodeFrame(id, rows[0]![1]);
  }

  it('stores raw JPEG, PNG and WebP bodies byte for byte (sha256) with ts, seq and meta', async () => {
    // Capture times within LPR_TS_MAX_SKEW_MS of the server clock.
    const recent = Date.now() - 60_000;
    for (const [i, format] of (['jpeg', 'png', 'webp'] as const).entries()) {
      const img = await makeImage(format, { seed: 10 + i });
      const meta = encodeURIComponent(JSON.stringify({ lane: i, site: 'north' }));
      const res = await postFrame(svc.url, 'cam-a', img, {
        type: `image/${format}`,
        token: TOKEN_A,
        query: `ts=${recent + i}&seq=${i}&meta=${meta}`,
      });
      expect(res.status).toBe(202);
      const f = await entry(res.body.id!);
      expect(sha256(f.img)).toBe(sha256(img));
      expect(f).toMatchObject({
        camera: 'cam-a',
        mime: `image/${format}`,
        ts: recent + i,
        seq: i,
      });
      expect(f.meta).toEqual({ lane: i, site: 'north' });
    }
  });

  it('stores multipart/form-data uploads byte for byte, form fields winning over the query', async () => {
    const img = await makeImage('png', { seed: 99 });
    const form = new FormData();
    const ts = Date.now() - 1000;
    form.set('ts', String(ts));
    form.set('seq', '7');
    form.set('meta', '{"camera_model":"x"}');
    form.set('vendor-field', 'ignored');
    form.set('image', new Blob([new Uint8Array(img)], { type: 'image/png' }), 'frame.png');
    const res = await fetch(`${svc.url}/v1/cameras/gate-3/frames?seq=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN_A}` },
      body: form,
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const f = await entry(id);
    expect(sha256(f.img)).toBe(sha256(img));
    expect(f).toMatchObject({ camera: 'gate-3', mime: 'image/png', ts, seq: 7 });
    expect(f.meta).toEqual({ camera_model: 'x' });

    // application/octet-stream parts are typed by their magic bytes.
    const jpeg = await makeImage('jpeg', { seed: 5 });
    const form2 = new FormData();
    form2.set('image', new Blob([new Uint8Array(jpeg)], { type: 'application/octet-stream' }), 'x.bin');
    const res2 = await fetch(`${svc.url}/v1/cameras/cam-b/frames`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN_B}` },
      body: form2,
    });
    expect(res2.status).toBe(202);
    const f2 = await entry(((await res2.json()) as { id: string }).id);
    expect(f2.mime).toBe('image/jpeg');
    expect(sha256(f2.img)).toBe(sha256(jpeg));
  });

  it('answers every bad request with its status, code and a message saying what to fix; none reaches the stream', async () => {
    const jpeg = await makeImage('jpeg', { seed: 1 });
    const png = await makeImage('png', { seed: 2 });
    const webp = await makeImage('webp', { seed: 3 });
    const pngWith = (w: number, h: number) => {
      const b = Buffer.from(png);
      b.writeUInt32BE(w, 16);
      b.writeUInt32BE(h, 20);
      return b;
    };
    const jpegBomb = Buffer.from(jpeg);
    const sof = jpegBomb.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    jpegBomb.writeUInt16BE(60000, sof + 5);
    jpegBomb.writeUInt16BE(60000, sof + 7);
    const webpBomb = Buffer.from(webp);
    expect(webpBomb.toString('latin1', 12, 16)).toBe('VP8 ');
    webpBomb.writeUInt16LE(16383, 26);
    webpBomb.writeUInt16LE(16383, 28);
    const big = Buffer.concat([jpeg, Buffer.alloc(BODY_LIMIT)]);

    const before = await t.client.xlen(keys.frames);
    const url = (camera: string, q = '') => `${svc.url}/v1/cameras/${camera}/frames${q}`;
    const raw = (
      body: Buffer,
      type: string | undefined,
      opts: { token?: string | null; camera?: string; q?: string } = {},
    ) => {
      const headers: Record<string, string> = {};
      if (type) headers['content-type'] = type;
      const token = opts.token === undefined ? TOKEN_A : opts.token;
      if (token !== null) headers.authorization = token.includes(' ') ? token : `Bearer ${token}`;
      return fetch(url(opts.camera ?? 'cam-a', opts.q), {
        method: 'POST',
        headers,
        body: new Uint8Array(body),
      });
    };
    const multi = (build: (f: FormData) => void, q = '') => {
      const form = new FormData();
      build(form);
      return fetch(url('cam-a', q), {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN_A}` },
        body: form,
      });
    };
    const blob = (b: Buffer, type: string) => new Blob([new Uint8Array(b)], { type });

    const cases: [string, () => Promise<Response>, number, string, RegExp][] = [
      [
        'no Authorization header',
        () => raw(jpeg, 'image/jpeg', { token: null }),
        401,
        'UNAUTHORIZED',
        /no Authorization header/,
      ],
      [
        'Basic instead of Bearer',
        () => raw(jpeg, 'image/jpeg', { token: 'Basic dXNlcjpwdw==' }),
        401,
        'UNAUTHORIZED',
        /not a bearer token/,
      ],
      [
        'unknown token',
        () => raw(jpeg, 'image/jpeg', { token: 'not-a-known-token' }),
        401,
        'UNAUTHORIZED',
        /not known/,
      ],
      [
        'token of another camera',
        () => raw(jpeg, 'image/jpeg', { token: TOKEN_B }),
        403,
        'FORBIDDEN',
        /not allowed to post for this camera/,
      ],
      [
        'camera outside the token prefix',
        () => raw(jpeg, 'image/jpeg', { camera: 'gatex' }),
        403,
        'FORBIDDEN',
        /"gatex"/,
      ],
      [
        'camera id with "!"',
        () => raw(jpeg, 'image/jpeg', { camera: 'bad!cam' }),
        400,
        'BAD_CAMERA_ID',
        /camera id "bad!cam" is invalid/,
      ],
      [
        'camera id starting with "-"',
        () => raw(jpeg, 'image/jpeg', { camera: '-cam' }),
        400,
        'BAD_CAMERA_ID',
        /1-64 characters/,
      ],
      [
        'camera id of 65 characters',
        () => raw(jpeg, 'image/jpeg', { camera: 'c'.repeat(65) }),
        400,
        'BAD_CAMERA_ID',
        /invalid/,
      ],
      [
        'text/plain body',
        () => raw(jpeg, 'text/plain'),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        /image\/jpeg, image\/png or image\/webp/,
      ],
      [
        'application/json body',
        () => raw(Buffer.from('{"a":1}'), 'application/json'),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        /multipart\/form-data/,
      ],
      ['no Content-Type', () => raw(jpeg, undefined), 415, 'UNSUPPORTED_MEDIA_TYPE', /Content-Type/],
      ['image/gif', () => raw(jpeg, 'image/gif'), 415, 'UNSUPPORTED_MEDIA_TYPE', /not accepted/],
      ['empty body', () => raw(Buffer.alloc(0), 'image/jpeg'), 400, 'EMPTY_BODY', /no image bytes/],
      [
        'body over the limit',
        () => raw(big, 'image/jpeg'),
        413,
        'PAYLOAD_TOO_LARGE',
        /LPR_INGEST_BODY_LIMIT/,
      ],
      [
        'PNG bytes declared as JPEG',
        () => raw(png, 'image/jpeg'),
        400,
        'IMAGE_MISMATCH',
        /declared image\/jpeg but the body looks like image\/png/,
      ],
      [
        'garbage declared as PNG',
        () => raw(Buffer.from('hello world, not an image'), 'image/png'),
        400,
        'IMAGE_MISMATCH',
        /no known image signature/,
      ],
      [
        'JPEG bytes declared as WebP',
        () => raw(jpeg, 'image/webp'),
        400,
        'IMAGE_MISMATCH',
        /looks like image\/jpeg/,
      ],
      [
        'JPEG cut off inside its header',
        () => raw(jpeg.subarray(0, 24), 'image/jpeg'),
        422,
        'IMAGE_INVALID',
        /truncated or malformed/,
      ],
      ['PNG with width 0', () => raw(pngWith(0, 10), 'image/png'), 422, 'IMAGE_INVALID', /0x10/],
      [
        'PNG decompression bomb',
        () => raw(pngWith(100000, 100000), 'image/png'),
        422,
        'IMAGE_TOO_MANY_PIXELS',
        /100000x100000.*LPR_INGEST_MAX_PIXELS/,
      ],
      [
        'JPEG decompression bomb',
        () => raw(jpegBomb, 'image/jpeg'),
        422,
        'IMAGE_TOO_MANY_PIXELS',
        /60000x60000/,
      ],
      [
        'WebP decompression bomb',
        () => raw(webpBomb, 'image/webp'),
        422,
        'IMAGE_TOO_MANY_PIXELS',
        /16383x16383/,
      ],
      [
        'ts not a number',
        () => raw(jpeg, 'image/jpeg', { q: '?ts=yesterday' }),
        400,
        'BAD_REQUEST',
        /query parameter "ts".*milliseconds since the epoch/,
      ],
      ['negative ts', () => raw(jpeg, 'image/jpeg', { q: '?ts=-5' }), 400, 'BAD_REQUEST', /"ts"/],
      [
        'fractional seq',
        () => raw(jpeg, 'image/jpeg', { q: '?seq=1.5' }),
        400,
        'BAD_REQUEST',
        /"seq".*non-negative integer/,
      ],
      [
        'meta not JSON',
        () => raw(jpeg, 'image/jpeg', { q: '?meta=%7Bnope' }),
        400,
        'BAD_REQUEST',
        /"meta" is not valid JSON/,
      ],
      [
        'meta a JSON array',
        () => raw(jpeg, 'image/jpeg', { q: '?meta=%5B1%2C2%5D' }),
        400,
        'BAD_REQUEST',
        /"meta" is not a JSON object/,
      ],
      [
        'form without image',
        () => multi((f) => f.set('ts', '1')),
        400,
        'EMPTY_BODY',
        /no file field "image"/,
      ],
      [
        'form image as text/plain',
        () => multi((f) => f.set('image', blob(jpeg, 'text/plain'), 'a.txt')),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        /"text\/plain"/,
      ],
      [
        'form file in the wrong field',
        () => multi((f) => f.set('photo', blob(jpeg, 'image/jpeg'), 'a.jpg')),
        400,
        'BAD_REQUEST',
        /unexpected file field "photo"/,
      ],
      [
        'form image over the limit',
        () => multi((f) => f.set('image', blob(big, 'image/jpeg'), 'a.jpg')),
        413,
        'PAYLOAD_TOO_LARGE',
        /limit/,
      ],
      [
        'form with bad ts field',
        () =>
          multi((f) => {
            f.set('ts', '12:30');
            f.set('image', blob(jpeg, 'image/jpeg'), 'a.jpg');
          }),
        400,
        'BAD_REQUEST',
        /"ts" is not a non-negative integer/,
      ],
      [
        'form octet-stream that is no image',
        () =>
          multi((f) => f.set('image', blob(Buffer.from('GIF89a....'), 'application/octet-stream'), 'a.bin')),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        /not JPEG, PNG or WebP/,
      ],
      [
        'form PNG declared JPEG',
        () => multi((f) => f.set('image', blob(png, 'image/jpeg'), 'a.jpg')),
        400,
        'IMAGE_MISMATCH',
        /looks like image\/png/,
      ],
    ];
    expect(cases.length).toBeGreaterThanOrEqual(20);

    const seen: string[] = [];
    for (const [name, send, status, code, message] of cases) {
      const res = await send();
      const body = (await res.json()) as { error?: { code: string; message: string } };
      seen.push(`${name}: ${res.status} ${body.error?.code} ${body.error?.message}`);
      expect({ name, status: res.status, code: body.error?.code }).toEqual({ name, status, code });
      expect(body.error!.message, name).toMatch(message);
    }
    expect(await t.client.xlen(keys.frames)).toBe(before);
    const metrics = await svc.app.ingest.metrics.registry
      .getSingleMetric('platestream_ingest_frames_rejected_total')!
      .get();
    const rejected = metrics.values.reduce((s, v) => s + v.value, 0);
    expect(rejected).toBe(cases.length);
  });

  it('answers unknown routes and methods with the JSON error body', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/v1/cameras/cam-a/frames'],
      ['PUT', '/v1/cameras/cam-a/frames'],
    ] as const) {
      const res = await fetch(`${svc.url}${path}`, { method });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'NOT_FOUND',
        message: expect.stringContaining('POST /v1/cameras/{camera}/frames'),
      });
    }
  });

  it('serves /healthz, /readyz, /metrics and an OpenAPI description of the frames route', async () => {
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${svc.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', stream: keys.frames, policy: 'reject' });
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/platestream_ingest_frames_accepted_total\{format="raw"\} 3/);
    expect(metrics).toMatch(/platestream_ingest_request_duration_seconds_bucket/);
    const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    const post = doc.paths['/v1/cameras/{camera}/frames']?.post;
    expect(Object.keys(post?.requestBody?.content ?? {}).sort()).toEqual([
      'image/jpeg',
      'image/png',
      'image/webp',
      'multipart/form-data',
    ]);
  });
});
