/**
 * The WHATWG Encoding API (TextEncoder, TextDecoder): standard globals of
 * every JavaScript host, which the domain uses for UTF-8 and Latin-1 text.
 * Declared here, with only what the domain calls, because tsconfig.domain.json
 * compiles src/domain and src/ports without Node's or the DOM's type
 * libraries, so that any use of a host API there fails the build.
 */
interface TextEncoder {
  encode(input?: string): Uint8Array;
}
declare var TextEncoder: { new (): TextEncoder };

interface TextDecoder {
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
declare var TextDecoder: { new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoder };
