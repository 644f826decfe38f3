import { Redis } from 'ioredis';
import { encodeFrame } from './shared/codec/frame-codec.ts';
const r = new Redis('redis://127.0.0.1:6399');
const p = r.pipeline();
for (let i = 0; i < 1000; i++) p.xadd('x:frames', '*', ...encodeFrame({ camera: 'c', ts: Date.now(), mime: 'image/jpeg', img: Buffer.from('abc'), meta: { plate: 'A' + i } }));
await p.exec();
const t0 = Date.now();
for (;;) { const n = await r.xlen('x:results'); if (n >= 1000) break; await new Promise(r => setTimeout(r, 50)); }
console.log('ms', Date.now() - t0);
r.disconnect();
