/**
 * The one place host-node adapters turn Node's errors (which carry the
 * host's errno name in `code`) into the port's HostError.
 */

import { HostError } from '../../ports/host.js';

export function hostCall<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toHostError(operation, err);
  }
}

export function toHostError(operation: string, err: unknown): unknown {
  if (err instanceof HostError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return new HostError(code, operation);
  return err;
}
