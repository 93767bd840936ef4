/**
 * A64 encoding patterns: the declarative half of the instruction set.
 *
 * Each instruction is declared once, as a decodetree-style pattern read from
 * bit 31 down to bit 0:
 *
 *     'sf:1 0 0 100010 sh:1 imm12:12 rn:5 rd:5'
 *
 * Tokens are literal bits (`0`, `1`, `.` for "either") or fields `name:len`
 * (`name:lens` for a sign-extended field). The pattern yields a mask/value
 * pair for decoding and the field positions for extraction and encoding, so
 * the interpreter, the disassembler and the assembler all read one table.
 */

export interface FieldSpec {
  readonly name: string;
  /** Lowest bit of the field. */
  readonly pos: number;
  readonly len: number;
  readonly signed: boolean;
}

export interface Pattern {
  readonly mask: number;
  readonly value: number;
  readonly fields: readonly FieldSpec[];
}

/** Decoded operand fields of one instruction, by field name. */
export type Fields = Readonly<Record<string, number>>;

export class PatternError extends Error {}

export function parsePattern(text: string): Pattern {
  let bit = 32;
  let mask = 0;
  let value = 0;
  const fields: FieldSpec[] = [];
  for (const token of text.trim().split(/\s+/)) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*):(\d+)(s?)$/.exec(token);
    if (m) {
      const len = Number(m[2]);
      bit -= len;
      fields.push({ name: m[1]!, pos: bit, len, signed: m[3] === 's' });
      continue;
    }
    if (!/^[01.]+$/.test(token)) throw new PatternError(`bad token '${token}' in pattern '${text}'`);
    for (const ch of token) {
      bit -= 1;
      if (ch === '.') continue;
      mask |= 1 << bit;
      if (ch === '1') value |= 1 << bit;
    }
  }
  if (bit !== 0) throw new PatternError(`pattern '${text}' covers ${32 - bit} bits, not 32`);
  return { mask: mask >>> 0, value: value >>> 0, fields };
}

export function extractField(word: number, f: FieldSpec): number {
  const raw = f.len === 32 ? word >>> 0 : (word >>> f.pos) & ((1 << f.len) - 1);
  if (!f.signed) return raw >>> 0;
  const shift = 32 - f.len;
  return (raw << shift) >> shift;
}

export function extractFields(word: number, p: Pattern): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of p.fields) out[f.name] = extractField(word, f);
  return out;
}

/** Build the instruction word for a pattern from field values. */
export function encodePattern(p: Pattern, values: Readonly<Record<string, number>>): number {
  let word = p.value;
  for (const f of p.fields) {
    const v = values[f.name];
    if (v === undefined) throw new PatternError(`missing field '${f.name}'`);
    const lim = 2 ** f.len;
    const ok = f.signed ? v >= -(lim / 2) && v < lim / 2 : v >= 0 && v < lim;
    if (!Number.isInteger(v) || !ok) throw new PatternError(`field '${f.name}' = ${v} does not fit ${f.len} bits`);
    const bits = f.len === 32 ? v >>> 0 : v & (lim - 1);
    word = (word | (bits << f.pos)) >>> 0;
  }
  return word >>> 0;
}
