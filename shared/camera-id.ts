/**
 * The one camera-id rule: 1-64 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit. Used by
 * the frame codec, ingest (route schema, auth patterns, error messages) and anything that names cameras.
 *
 * API: `CAMERA_ID_PATTERN` (JSON-schema pattern string), `CAMERA_ID_RE`, `CAMERA_ID_HINT`,
 * `CAMERA_ID_PREFIX_PATTERN` (a camera id with an optional trailing `*`, for token scopes), `isCameraId`.
 */
export const CAMERA_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
export const CAMERA_ID_RE = new RegExp(CAMERA_ID_PATTERN);
export const CAMERA_ID_HINT = '1-64 characters A-Z a-z 0-9 _ . - starting with a letter or digit';
/** `*`, a camera id, or a camera-id prefix followed by `*` (token scopes such as `gate-*`). */
export const CAMERA_ID_PREFIX_RE = /^(\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\*?)$/;

export function isCameraId(s: string): boolean {
  return CAMERA_ID_RE.test(s);
}
