/**
 * Text from a file or from the command line, made safe for elfuse's one-line
 * messages on a terminal: control characters (C0, DEL, C1), line and
 * paragraph separators and bidirectional overrides are escaped, so such text
 * can neither forge a second line nor send escape sequences to the terminal.
 */

/** Characters a terminal acts on or that change how the line reads. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_OR_QUOTE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069"\\]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '"': '\\"', '\\': '\\\\' };

/** `text` in double quotes, with C-style escapes for what is unsafe (and for `"` and `\`). */
export function quoted(text: string): string {
  const body = text.replace(UNSAFE_OR_QUOTE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `"${body}"`;
}

/** `text` itself when it is safe to print as it is, else quoted(text). */
export function printable(text: string): string {
  return UNSAFE.test(text) ? quoted(text) : text;
}
