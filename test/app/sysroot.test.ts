import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/app/options.js';
import { checkSysroot, createSysroot } from '../../src/app/sysroot.js';

describe('sysroot options on the host', () => {
  it('--sysroot must name an existing directory, and becomes absolute', () => {
    const dir = mkdtempSync(join(tmpdir(), 'elfuse-sysroot-'));
    writeFileSync(join(dir, 'file'), '');
    expect(checkSysroot(dir)).toBe(dir);
    expect(() => checkSysroot(join(dir, 'missing'))).toThrow(/No such file or directory/);
    expect(() => checkSysroot(join(dir, 'file'))).toThrow(/Not a directory/);
    expect(() => checkSysroot(join(dir, 'file'))).toThrow(UsageError);
  });

  it('--create-sysroot needs macOS and says so elsewhere', () => {
    expect(() => createSysroot('/tmp/x', 'linux')).toThrow(/needs macOS/);
  });
});
