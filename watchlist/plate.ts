/** Plate text as stored and compared: upper case, letters and digits only (spaces, dashes and dots dropped). */
export function normalizePlate(raw: string): string {
  return raw
    .normalize('NFC')
    .toUpperCase()
    .replace(/[\s\-.·_]/g, '');
}

export const MAX_PLATE_LENGTH = 16;
const PLATE_RE = /^[\p{L}\p{N}]+$/u;

/** Returns what is wrong with a normalised plate, or undefined when it is usable. */
export function plateProblem(plate: string): string | undefined {
  if (plate === '') return 'plate is empty';
  if (plate.length > MAX_PLATE_LENGTH)
    return `plate "${plate}" is longer than ${MAX_PLATE_LENGTH} characters`;
  if (!PLATE_RE.test(plate))
    return `plate "${plate}" may contain only letters and digits (spaces and dashes are dropped)`;
  return undefined;
}
