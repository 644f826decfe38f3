import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import { redactUrl } from '../redact-url.ts';

describe('URL credentials in logs (issue 17 item 9)', () => {
  it('redactUrl hides user:password@ in any URL inside a text', () => {
    expect(redactUrl('POST https://u:pw@h.example/x failed')).toBe('POST https://***@h.example/x failed');
    expect(redactUrl('redis://default:s3@db:6379/2 and rtsp://cam:pw@10.0.0.9/stream')).toBe(
      'redis://***@db:6379/2 and rtsp://***@10.0.0.9/stream',
    );
    expect(redactUrl('mail me at a@b.example, see https://h.example/x')).toBe(
      'mail me at a@b.example, see https://h.example/x',
    );
  });

  it('no log line carries credentials: messages, fields, errors and their causes', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const cause = new Error('connect redis://bob:hunter2@db:6379 refused');
    log.error(
      {
        err: new Error('POST https://u:s3cret@hooks.example/x failed', { cause }),
        url: 'https://u:s3cret@hooks.example/x',
        nested: { list: ['rtsp://cam:pw9@10.0.0.9/'] },
      },
      'sending to https://u:s3cret@hooks.example/x failed',
    );
    log.info('format %s', 'redis://a:b7@c:1');
    const text = lines.join('');
    for (const secret of ['s3cret', 'hunter2', 'pw9', 'b7@']) expect(text).not.toContain(secret);
    expect(text).toContain('https://***@hooks.example/x');
    expect(text).toContain('redis://***@db:6379');
  });
});
