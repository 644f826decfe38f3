import type { ResultRecord } from '../shared/codec/result-codec.ts';
import { normalisePlate } from '../shared/plate-text.ts';
import type { PassRead } from './pass-builder.ts';

/**
 * The plate reads of one result: each candidate of `plates` (distinct plates in the frame, each with its
 * box; see models/plate/choose.ts), or the best plate alone when the result lists no candidates. Texts go
 * through the one plate rule (shared/plate-text.ts); candidates below `minConfidence` are left out.
 */
export function readsOfResult(r: ResultRecord, minConfidence = 0): PassRead[] {
  const id = r.id ?? '';
  const out: PassRead[] = [];
  const candidates =
    r.plates.length > 0 ? r.plates : r.plate ? [{ text: r.plate, confidence: r.confidence, box: r.box }] : [];
  for (const c of candidates) {
    const plate = normalisePlate(String(c.text ?? ''));
    const conf = Number(c.confidence) || 0;
    if (!plate || conf < minConfidence) continue;
    const read: PassRead = { result: id, frame: r.frame, ts: r.ts, plate, conf };
    const chars = 'charConfidences' in c ? c.charConfidences : undefined;
    if (Array.isArray(chars) && chars.length === plate.length) read.chars = chars.map(Number);
    if (c.box && [c.box.x, c.box.y, c.box.w, c.box.h].every(Number.isFinite)) read.box = { ...c.box };
    if (!out.some((o) => o.plate === plate)) out.push(read);
  }
  return out;
}
