import { describe, expect, it } from 'vitest';
import { BackendSelector, buildContainer, TYPES, type BackendFactory } from '../../src/app/container.js';
import { BackendUnavailable } from '../../src/ports/backend.js';

describe('composition root', () => {
  it('defaults to interp where hvf cannot run, and builds it', () => {
    const c = buildContainer({ platform: 'linux', arch: 'x64' });
    expect(c.get(BackendSelector).defaultBackend()).toBe('interp');
    const backend = c.get<BackendFactory>(TYPES.BackendFactory)(undefined);
    try {
      expect(backend.name).toBe('interp');
    } finally {
      backend.destroy();
    }
  });

  it('refuses hvf off Apple silicon with the reason', () => {
    const c = buildContainer({ platform: 'linux', arch: 'x64' });
    const make = () => c.get<BackendFactory>(TYPES.BackendFactory)('hvf');
    expect(make).toThrow(BackendUnavailable);
    expect(make).toThrow(/macOS on Apple silicon \(this host is linux-x64\)/);
  });

  it('refuses hvf on Apple silicon while its addon is not built, and does not pick it by default', () => {
    const c = buildContainer({ platform: 'darwin', arch: 'arm64' });
    expect(c.get(BackendSelector).defaultBackend()).toBe('interp');
    expect(() => c.get<BackendFactory>(TYPES.BackendFactory)('hvf')).toThrow(/addon is not built/);
  });
});
