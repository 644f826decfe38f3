/**
 * The one helper that hides credentials written into URLs (`scheme://user:password@host`), in a URL or in
 * any text that contains URLs (error messages echo the URL they were given). Used by the logger for every
 * line and by commands before printing. The user name goes too: it is often half of the secret.
 */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s'"<>]*@/gi;

export function redactUrl(text: string): string {
  return text.includes('@') ? text.replace(USERINFO, '$1***@') : text;
}
