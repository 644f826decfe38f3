/**
 * The cameras file (`cameras.yaml` or `.json`): which sources `platestream capture` pulls and how, and the
 * per-camera recognition hints (roi, skip_static) the recogniser reads from the same file later.
 *
 * ```yaml
 * defaults: { fps: 5, rtsp_transport: tcp }
 * cameras:
 *   - id: gate-1
 *     url: rtsp://192.168.1.20:554/Streaming/Channels/101
 *     credentials: { username: admin, password_env: GATE1_PASSWORD }
 *     roi: 0,400 1920,400 1920,1080 0,1080   # frame pixels, like LPR_CAMERA_ROI
 *     skip_static: true
 *   - id: yard
 *     url: http://192.168.1.30/cgi-bin/snapshot.jpg
 *     type: snapshot
 *     fps: 1
 * ```
 *
 * `parseCameraConfig` reports every problem of the file in one CONFIG_INVALID error (path of each field),
 * and freezes the result. Credentials are kept apart from the URL so logs can show the URL as is;
 * `redactUrl` hides credentials written into a URL.
 */
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CAMERA_ID_HINT, isCameraId } from '../camera-id.ts';
import { PlatestreamError } from '../errors.ts';
import { DEFAULT_STATIC_THRESHOLD } from '../image/static-scene.ts';
import { redactUrl } from '../redact-url.ts';
import { parseRoi, type Roi } from './camera-roi.ts';
import { deepFreeze, type Env } from './env-reader.ts';

export const SOURCE_TYPES = ['auto', 'rtsp', 'mjpeg', 'snapshot', 'file', 'ffmpeg'] as const;
/** `auto`: rtsp(s):// → rtsp; http(s):// → mjpeg or snapshot by the answer's content type; else a file. */
export type SourceType = (typeof SOURCE_TYPES)[number];

export const RTSP_TRANSPORTS = ['tcp', 'udp', 'udp_multicast', 'http', 'auto'] as const;
/** `auto` lets ffmpeg choose (UDP first, then TCP). */
export type RtspTransport = (typeof RTSP_TRANSPORTS)[number];

export interface CameraCredentials {
  username: string;
  password: string;
}

export interface CameraConfig {
  id: string;
  /** Source URL without credentials (rtsp://, rtsps://, http(s)://, file path or file:// URL). */
  url: string;
  type: SourceType;
  /** Frames per second sent on (sampled from the source). */
  fps: number;
  rtspTransport: RtspTransport;
  credentials: CameraCredentials | undefined;
  /** Region of interest in frame pixels (a polygon; `x,y,w,h` becomes 4 corners), the form of LPR_CAMERA_ROI. */
  roi: Roi | undefined;
  /** Skip frames that barely differ from the last one sent (inside the roi when set). */
  skipStatic: boolean;
  /** Mean absolute difference (0..1 of full scale) below which a frame counts as static. */
  staticThreshold: number;
  /** A reference frame older than this is not trusted: the next frame is sent and becomes the reference (ms). */
  staticMaxAgeMs: number;
  /** No frame for this long → the source counts as stalled and is restarted (s). */
  stallTimeoutS: number;
  /** Deadline for the first frame of a connection attempt (s); ffmpeg probes a stream for seconds first. */
  connectTimeoutS: number;
  /** Restart delay: starts at backoffMinMs, doubles per failed attempt up to backoffMaxMs, ±20 % jitter. */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Retry interval after the source refused the credentials (401) (ms). */
  authRetryMs: number;
  /** Extra ffmpeg input options placed before `-i` (rtsp, file, ffmpeg sources). */
  inputArgs: readonly string[];
  /** Whether the source was enabled (disabled cameras are validated but not started). */
  enabled: boolean;
}

export interface CamerasFile {
  cameras: readonly CameraConfig[];
}

export const CAMERA_DEFAULTS = {
  type: 'auto' as SourceType,
  fps: 5,
  rtspTransport: 'tcp' as RtspTransport,
  skipStatic: false,
  staticThreshold: DEFAULT_STATIC_THRESHOLD,
  staticMaxAgeMs: 30_000,
  stallTimeoutS: 10,
  connectTimeoutS: 20,
  backoffMinMs: 500,
  backoffMaxMs: 30_000,
  authRetryMs: 60_000,
};

const CAMERA_KEYS = new Set([
  'id',
  'url',
  'type',
  'fps',
  'rtsp_transport',
  'credentials',
  'roi',
  'skip_static',
  'static_threshold',
  'static_max_age_ms',
  'partition',
  'stall_timeout_s',
  'connect_timeout_s',
  'backoff_min_ms',
  'backoff_max_ms',
  'auth_retry_ms',
  'input_args',
  'enabled',
]);
const DEFAULT_KEYS = new Set(
  [...CAMERA_KEYS].filter((k) => !['id', 'url', 'credentials', 'roi'].includes(k)),
);

/**
 * Reads the text of a cameras file (YAML, or JSON by extension or content). `secrets: 'ignore'` is for
 * readers that need no camera passwords (the workers read roi and skip_static): `password_env` variables
 * need not be set there, and credentials come back with an empty password.
 */
export function parseCameraConfig(
  text: string,
  opts: { source?: string; env?: Env; secrets?: 'resolve' | 'ignore' } = {},
): CamerasFile {
  const source = opts.source ?? 'cameras file';
  let doc: unknown;
  try {
    const json = opts.source !== undefined && extname(opts.source).toLowerCase() === '.json';
    doc = json ? JSON.parse(text) : parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new PlatestreamError('CONFIG_INVALID', `${source}: cannot parse: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const problems: string[] = [];
  const env: Env =
    opts.secrets === 'ignore'
      ? new Proxy({}, { get: (_, name) => (typeof name === 'string' ? '' : undefined) })
      : (opts.env ?? process.env);
  const cameras = readFile(doc, problems, env);
  if (problems.length > 0) {
    const list = problems.map((p) => `  - ${p}`).join('\n');
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `${source}: ${problems.length} problem${problems.length > 1 ? 's' : ''}:\n${list}`,
      { details: { problems } },
    );
  }
  return deepFreeze({ cameras });
}

/** One camera given on the command line (`--url … --camera ID`), with the same checks as the file. */
export function cameraFromFields(fields: Record<string, unknown>, env: Env = process.env): CameraConfig {
  const problems: string[] = [];
  const cam = readCamera(fields, {}, 'camera', problems, env);
  if (problems.length > 0 || !cam) {
    throw new PlatestreamError('CONFIG_INVALID', `camera options: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return deepFreeze(cam);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function readFile(doc: unknown, problems: string[], env: Env): CameraConfig[] {
  if (!isObj(doc)) {
    problems.push('the file must be a mapping with a "cameras" list');
    return [];
  }
  for (const k of Object.keys(doc)) {
    if (k !== 'cameras' && k !== 'defaults') problems.push(`${k}: unknown key (allowed: defaults, cameras)`);
  }
  let defaults: Obj = {};
  if (doc.defaults !== undefined) {
    if (!isObj(doc.defaults)) problems.push('defaults: must be a mapping');
    else {
      defaults = doc.defaults;
      for (const k of Object.keys(defaults)) {
        if (!DEFAULT_KEYS.has(k))
          problems.push(`defaults.${k}: unknown key (allowed: ${[...DEFAULT_KEYS].join(', ')})`);
      }
      // Check the values once here, not again at every camera that inherits them.
      const before = problems.length;
      const { type, ...rest } = Object.fromEntries(
        Object.entries(defaults).filter(([k]) => DEFAULT_KEYS.has(k)),
      );
      oneOf(type, SOURCE_TYPES, CAMERA_DEFAULTS.type, (m) => problems.push(`defaults.type: ${m}`));
      const probe: string[] = [];
      readCamera({ id: 'defaults', url: 'rtsp://defaults/', ...rest }, {}, 'defaults', probe, env);
      problems.push(...probe);
      if (problems.length > before) defaults = {};
    }
  }
  if (!Array.isArray(doc.cameras) || doc.cameras.length === 0) {
    problems.push('cameras: must be a non-empty list of cameras');
    return [];
  }
  const out: CameraConfig[] = [];
  const seen = new Map<string, number>();
  doc.cameras.forEach((raw: unknown, i: number) => {
    const where = `cameras[${i}]`;
    const cam = readCamera(raw, defaults, where, problems, env);
    if (!cam) return;
    const first = seen.get(cam.id);
    if (first !== undefined) problems.push(`${where}.id: "${cam.id}" is already used by cameras[${first}]`);
    else seen.set(cam.id, i);
    out.push(cam);
  });
  return out;
}

function readCamera(
  raw: unknown,
  defaults: Obj,
  where: string,
  problems: string[],
  env: Env,
): CameraConfig | undefined {
  if (!isObj(raw)) {
    problems.push(`${where}: must be a mapping with at least id and url`);
    return undefined;
  }
  const before = problems.length;
  const p = (field: string, msg: string) => problems.push(`${where}.${field}: ${msg}`);
  for (const k of Object.keys(raw)) {
    if (!CAMERA_KEYS.has(k)) p(k, `unknown key (allowed: ${[...CAMERA_KEYS].join(', ')})`);
  }
  const get = (k: string): unknown => (raw[k] !== undefined ? raw[k] : defaults[k]);

  const id = raw.id;
  if (typeof id !== 'string' || !isCameraId(id))
    p('id', `${JSON.stringify(id)} is not a camera id (${CAMERA_ID_HINT})`);

  let url = '';
  let credentials: CameraCredentials | undefined;
  if (typeof raw.url !== 'string' || raw.url.trim() === '')
    p('url', 'required: rtsp://, rtsps://, http(s)://, or a video file path');
  else {
    const split = splitUrlCredentials(raw.url.trim());
    url = split.url;
    credentials = split.credentials;
    const problem = checkSourceUrl(url);
    if (problem) p('url', problem);
  }
  if (raw.credentials !== undefined) {
    if (credentials) p('credentials', 'given both in the url and as credentials; keep one');
    credentials = readCredentials(raw.credentials, (m) => p('credentials', m), env);
  }

  const type = oneOf(get('type'), SOURCE_TYPES, CAMERA_DEFAULTS.type, (m) => p('type', m));
  if (url && type !== 'auto') {
    const scheme = schemeOf(url);
    const fits =
      type === 'rtsp'
        ? scheme === 'rtsp' || scheme === 'rtsps'
        : type === 'mjpeg' || type === 'snapshot'
          ? scheme === 'http' || scheme === 'https'
          : type === 'file'
            ? scheme === 'file' || scheme === undefined
            : true;
    if (!fits) p('type', `"${type}" does not fit the url scheme ${scheme ?? '(a file path)'}`);
  }

  const fps = num(get('fps'), CAMERA_DEFAULTS.fps, { min: 0.01, max: 60 }, (m) => p('fps', m));
  const backoffMinMs = num(
    get('backoff_min_ms'),
    CAMERA_DEFAULTS.backoffMinMs,
    { min: 10, max: 600_000 },
    (m) => p('backoff_min_ms', m),
  );
  const backoffMaxMs = num(
    get('backoff_max_ms'),
    CAMERA_DEFAULTS.backoffMaxMs,
    { min: 10, max: 3_600_000 },
    (m) => p('backoff_max_ms', m),
  );
  if (backoffMaxMs < backoffMinMs)
    p('backoff_max_ms', `${backoffMaxMs} is below backoff_min_ms ${backoffMinMs}`);
  let roi: Roi | undefined;
  if (raw.roi !== undefined) roi = readRoi(raw.roi, (m) => p('roi', m));
  // The partition follows from the camera id (LPR_PARTITIONS, shared/redis/partitions.ts): one rule for
  // ingest, capture and the readers, so a camera cannot be sent where no worker reads.
  if (get('partition') !== undefined)
    p(
      'partition',
      'cameras no longer choose a partition: LPR_PARTITIONS maps each camera to one by a hash of its id (docs/partitions.md); remove this key',
    );
  const inputArgs = get('input_args');
  if (
    inputArgs !== undefined &&
    !(Array.isArray(inputArgs) && inputArgs.every((a) => typeof a === 'string'))
  ) {
    p('input_args', 'must be a list of strings (ffmpeg input options, e.g. ["-analyzeduration", "1000000"])');
  }

  const cam: CameraConfig = {
    id: typeof id === 'string' ? id : '',
    url,
    type,
    fps,
    rtspTransport: oneOf(get('rtsp_transport'), RTSP_TRANSPORTS, CAMERA_DEFAULTS.rtspTransport, (m) =>
      p('rtsp_transport', m),
    ),
    credentials,
    roi,
    skipStatic: bool(get('skip_static'), CAMERA_DEFAULTS.skipStatic, (m) => p('skip_static', m)),
    staticThreshold: num(get('static_threshold'), CAMERA_DEFAULTS.staticThreshold, { min: 0, max: 1 }, (m) =>
      p('static_threshold', m),
    ),
    staticMaxAgeMs: num(
      get('static_max_age_ms'),
      CAMERA_DEFAULTS.staticMaxAgeMs,
      { min: 100, max: 86_400_000 },
      (m) => p('static_max_age_ms', m),
    ),
    stallTimeoutS: num(get('stall_timeout_s'), CAMERA_DEFAULTS.stallTimeoutS, { min: 0.5, max: 3600 }, (m) =>
      p('stall_timeout_s', m),
    ),
    connectTimeoutS: num(
      get('connect_timeout_s'),
      CAMERA_DEFAULTS.connectTimeoutS,
      { min: 0.5, max: 3600 },
      (m) => p('connect_timeout_s', m),
    ),
    backoffMinMs,
    backoffMaxMs,
    authRetryMs: num(get('auth_retry_ms'), CAMERA_DEFAULTS.authRetryMs, { min: 100, max: 86_400_000 }, (m) =>
      p('auth_retry_ms', m),
    ),
    inputArgs: Array.isArray(inputArgs) ? (inputArgs as string[]) : [],
    enabled: bool(get('enabled'), true, (m) => p('enabled', m)),
  };
  return problems.length === before ? cam : undefined;
}

function schemeOf(url: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  return m ? m[1]!.toLowerCase() : undefined;
}

function checkSourceUrl(url: string): string | undefined {
  const scheme = schemeOf(url);
  if (scheme === undefined || scheme === 'file') return undefined;
  if (!['rtsp', 'rtsps', 'http', 'https'].includes(scheme)) {
    return `scheme "${scheme}://" is not supported; use rtsp://, rtsps://, http(s):// or a file path`;
  }
  try {
    new URL(url);
  } catch {
    return `"${url}" is not a valid URL`;
  }
  return undefined;
}

/** Moves `user:password@` out of a URL; the rest of the URL is what logs may show. */
export function splitUrlCredentials(raw: string): {
  url: string;
  credentials: CameraCredentials | undefined;
} {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@(.*)$/i.exec(raw);
  if (!m) return { url: raw, credentials: undefined };
  const [user, ...rest] = m[2]!.split(':');
  return {
    url: `${m[1]}${m[3]}`,
    credentials: { username: decodeURIComponent(user ?? ''), password: decodeURIComponent(rest.join(':')) },
  };
}

/** The URL with its credentials put back (what ffmpeg is given); never log the result. */
export function urlWithCredentials(url: string, credentials: CameraCredentials | undefined): string {
  if (!credentials) return url;
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/i.exec(url);
  if (!m) return url;
  const enc = (s: string) => encodeURIComponent(s);
  return `${m[1]}${enc(credentials.username)}:${enc(credentials.password)}@${m[2]}`;
}

/**
 * What capture shows of a camera URL or of a source's message: no `user:pass@` (redactUrl), and `***` for
 * the values of the query parameters cameras take credentials in (`snapshot.cgi?user=admin&pwd=...`).
 */
export function redactCameraUrl(text: string): string {
  return redactUrl(text).replace(
    /([?&](?:user|username|usr|login|pwd|pass|passwd|password|token|auth|key|apikey|api_key)=)[^&\s'"#]*/gi,
    '$1***',
  );
}

function readCredentials(v: unknown, p: (m: string) => void, env: Env): CameraCredentials | undefined {
  if (!isObj(v)) {
    p('must be a mapping { username, password } or { username, password_env }');
    return undefined;
  }
  for (const k of Object.keys(v)) {
    if (!['username', 'password', 'password_env'].includes(k))
      p(`unknown key "${k}" (allowed: username, password, password_env)`);
  }
  if (typeof v.username !== 'string' || v.username === '') p('username is required');
  let password: string | undefined;
  if (v.password !== undefined && v.password_env !== undefined) p('give password or password_env, not both');
  else if (typeof v.password === 'string') password = v.password;
  else if (typeof v.password_env === 'string') {
    password = env[v.password_env];
    if (password === undefined) p(`password_env names ${v.password_env}, which is not set`);
  } else p('password or password_env (the name of an environment variable) is required');
  return typeof v.username === 'string' && password !== undefined
    ? { username: v.username, password }
    : undefined;
}

function readRoi(v: unknown, p: (m: string) => void): Roi | undefined {
  // The same forms as LPR_CAMERA_ROI: "x,y x,y x,y ..." (polygon) or "x,y,w,h" (rectangle), in frame
  // pixels; or a YAML/JSON list of [x, y] corners.
  const text =
    typeof v === 'string'
      ? v
      : Array.isArray(v) && v.every((c) => Array.isArray(c) && c.length === 2)
        ? v.map((c) => (c as unknown[]).join(',')).join(' ')
        : undefined;
  const roi = text === undefined ? undefined : parseRoi(text);
  if (!roi) {
    p(
      `${JSON.stringify(v)} is not a region: use "x,y x,y x,y ..." (polygon corners in frame pixels), "x,y,w,h" (a rectangle) or a list of [x, y] corners`,
    );
  }
  return roi;
}

function num(v: unknown, def: number, range: { min: number; max: number }, p: (m: string) => void): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < range.min || v > range.max) {
    p(`${JSON.stringify(v)} must be a number ${range.min}..${range.max}`);
    return def;
  }
  return v;
}

function bool(v: unknown, def: boolean, p: (m: string) => void): boolean {
  if (v === undefined) return def;
  if (typeof v !== 'boolean') {
    p(`${JSON.stringify(v)} must be true or false`);
    return def;
  }
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], def: T, p: (m: string) => void): T {
  if (v === undefined) return def;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    p(`${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
    return def;
  }
  return v as T;
}
