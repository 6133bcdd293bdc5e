// Bytes as text, every way a browser could decode them (BOM, declared charset, UTF-16 look, ISO-2022-JP):
// content hidden in one reading must not pass because another reading is clean.

const BOMS: [number[], string][] = [
  [[0xef, 0xbb, 0xbf], 'utf-8'],
  [[0xff, 0xfe], 'utf-16le'],
  [[0xfe, 0xff], 'utf-16be'],
];

/** The encoding a label names (its canonical name), or null for one the platform does not know. */
export function encodingOf(label: string): string | null {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return null;
  }
}

function decode(bytes: Buffer, label: string): string | null {
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return null;
  }
}

/** The bytes of a file that say how to read it: its BOM, declared charset and UTF-16 look. */
export const HEAD_BYTES = 1024;

/**
 * How a browser could read a file, from its first bytes: by the BOM when there is one (it wins over
 * any header or declaration, and nothing else is tried); otherwise UTF-8, plus the declared charset
 * (<meta charset>, <?xml encoding?>, @charset) and UTF-16 when the bytes look like it.
 */
export function labelsFor(bytes: Buffer): { labels: string[]; bom: boolean } {
  for (const [bom, label] of BOMS) if (bom.every((b, i) => bytes[i] === b)) return { labels: [label], bom: true };
  const labels = new Set(['utf-8']);
  const head = bytes.subarray(0, HEAD_BYTES).toString('latin1');
  const declared =
    /<meta\b[^>]{0,512}?charset\s*=\s*["']?\s*([\w.:-]{1,40})/i.exec(head)?.[1] ??
    /^\s*<\?xml\b[^>]{0,200}?encoding\s*=\s*["']([\w.:-]{1,40})/i.exec(head)?.[1] ??
    /^@charset\s+"([\w.:-]{1,40})"/i.exec(head)?.[1];
  if (declared) labels.add(declared.toLowerCase());
  let even = 0;
  let odd = 0;
  const sample = Math.min(bytes.length, HEAD_BYTES);
  for (let i = 0; i < sample; i++) {
    if (bytes[i] !== 0) continue;
    if (i % 2) odd++;
    else even++;
  }
  if (odd > sample / 8 && even < sample / 40) labels.add('utf-16le');
  if (even > sample / 8 && odd < sample / 40) labels.add('utf-16be');
  return { labels: [...labels], bom: false };
}

/** ISO-2022-JP's escapes: a file carrying one anywhere is read that way too. */
export const hasIsoEscapes = (bytes: Buffer) => bytes.includes('\x1b$') || bytes.includes('\x1b(');

/**
 * Every reading of the bytes a browser could make: those labelsFor names, and ISO-2022-JP when the
 * bytes carry its escapes (without a BOM).
 */
export function readings(bytes: Buffer): string[] {
  const { labels, bom } = labelsFor(bytes);
  if (bom) return [decode(bytes, labels[0]!)!];
  if (hasIsoEscapes(bytes) && !labels.includes('iso-2022-jp')) labels.push('iso-2022-jp');
  const texts = new Set<string>();
  for (const label of labels) {
    const text = decode(bytes, label);
    if (text !== null) texts.add(text);
  }
  return [...texts];
}
