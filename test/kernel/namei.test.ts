/**
 * The path walk (namei.ts) over the guest's two layers (fs-context.ts), on
 * an in-memory host (test/support/mem-fs.ts) that refuses to follow a
 * symlink or `..` itself: the sysroot is /sr on the double's root, and the
 * host has files of its own beside it, some under the same names as the
 * sysroot's (shadowed: the walk must never land on those).
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/domain/kernel/errno.js';
import { FsContext, caseToken, caseTokenName, detectCaseFolding, whiteoutName } from '../../src/domain/kernel/fs-context.js';
import { walkPath } from '../../src/domain/kernel/namei.js';
import { SyscallError } from '../../src/domain/kernel/syscall-args.js';
import { MemFs } from '../support/mem-fs.js';

function world(foldsCase = false): MemFs {
  return new MemFs(foldsCase)
    .mkdirp('/etc')
    .file('/etc/passwd', 'HOST-DECOY') // shadowed by the sysroot's /etc/passwd
    .file('/etc/hosts', 'host hosts') // only the host has it
    .mkdirp('/home/user/proj')
    .file('/home/user/proj/notes', 'host notes')
    .mkdirp('/sr/etc')
    .mkdirp('/sr/lib')
    .mkdirp('/sr/usr/lib')
    .mkdirp('/sr/home')
    .file('/sr/etc/passwd', 'guest passwd')
    .file('/sr/lib/libc.so.6', 'libc');
}

function context(fs: MemFs, cwd = '/'): FsContext {
  return new FsContext(fs, { sysroot: '/sr', hostCwd: cwd, foldsCase: fs.foldsCase });
}

/** Where a guest path lands: the host path of what it names, "(missing)" when it would be created there. */
function land(fs: MemFs, ctx: FsContext, path: string, follow = true): string {
  const t = walkPath(ctx, ctx.cwd, path, { follow });
  if (t.kind !== 'host') return `synth ${t.path}`;
  try {
    const dir = fs.pathOf(t.dirFd);
    const at = t.name === '.' ? dir : `${dir === '/' ? '' : dir}/${t.name}`;
    return t.st === null ? `${at} (missing)` : at;
  } finally {
    t.release();
  }
}

const errnoOf = (f: () => unknown): number | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof SyscallError) return e.errno;
    throw e;
  }
  return undefined;
};

describe('the two layers', () => {
  it('takes a name from the sysroot when it has one, else from the host directory of the same guest path', () => {
    const fs = world();
    const ctx = context(fs);
    expect(land(fs, ctx, '/etc/passwd')).toBe('/sr/etc/passwd');
    expect(land(fs, ctx, '/etc/hosts')).toBe('/etc/hosts'); // the sysroot's /etc has no hosts
    expect(land(fs, ctx, '/')).toBe('/sr');
    expect(land(fs, ctx, '/etc/new')).toBe('/sr/etc/new (missing)'); // created where its directory is
    expect(land(fs, ctx, '/home/user/proj/notes')).toBe('/home/user/proj/notes');
    expect(land(fs, ctx, '/home/user/proj/new')).toBe('/home/user/proj/new (missing)');
    expect(errnoOf(() => land(fs, ctx, '/nowhere/new'))).toBe(Errno.ENOENT);
  });

  it('keeps `..` at the top and goes up the guest path, never the host one', () => {
    const fs = world();
    const ctx = context(fs);
    expect(land(fs, ctx, '/../../../etc/passwd')).toBe('/sr/etc/passwd');
    expect(land(fs, ctx, '/lib/../../../etc/passwd')).toBe('/sr/etc/passwd');
    // From a directory only the host has, `..` climbs the guest path: back into the sysroot's names.
    ctx.chdir('/home/user/proj');
    expect(ctx.cwdGuestPath).toBe('/home/user/proj');
    expect(land(fs, ctx, 'notes')).toBe('/home/user/proj/notes');
    expect(land(fs, ctx, '../../../etc/passwd')).toBe('/sr/etc/passwd');
    expect(land(fs, ctx, '../../../../../etc/passwd')).toBe('/sr/etc/passwd');
  });

  it('starts where elfuse started: a host directory by its guest path, one inside the sysroot by its guest name', () => {
    const fs = world();
    expect(context(fs, '/home/user/proj').cwdGuestPath).toBe('/home/user/proj');
    expect(context(fs, '/sr/usr/lib').cwdGuestPath).toBe('/usr/lib');
    expect(land(fs, context(fs, '/sr/usr/lib'), '../../etc/passwd')).toBe('/sr/etc/passwd');
  });

  it('resolves symlinks of either layer as guest paths, so no shadowed host file is ever reached', () => {
    const fs = world()
      .symlink('/sr/lib/ld-linux-aarch64.so.1', '/usr/lib/ld-2.36.so')
      .file('/sr/usr/lib/ld-2.36.so')
      .symlink('/sr/lib64', '/usr/lib')
      .symlink('/sr/etc/evil', '/etc/passwd')
      .symlink('/sr/up', '../../../../../etc/passwd')
      .symlink('/home/user/proj/hostlink', '/etc/passwd') // a host symlink: a guest path too
      .symlink('/sr/etc/resolv.conf', '/run/resolvconf/resolv.conf') // dangling in the sysroot
      .mkdirp('/run/resolvconf')
      .file('/run/resolvconf/resolv.conf', 'HOST-DECOY')
      .file('/sr/etc/ghost', 'x');
    fs.symlink('/sr/run', '/nonexistent-dir'); // the sysroot has /run, dangling: the host's /run never shows
    const ctx = context(fs);
    expect(land(fs, ctx, '/lib/ld-linux-aarch64.so.1')).toBe('/sr/usr/lib/ld-2.36.so');
    expect(land(fs, ctx, '/lib64/ld-2.36.so')).toBe('/sr/usr/lib/ld-2.36.so');
    expect(land(fs, ctx, '/lib/ld-linux-aarch64.so.1', false)).toBe('/sr/lib/ld-linux-aarch64.so.1');
    expect(land(fs, ctx, '/etc/evil')).toBe('/sr/etc/passwd');
    expect(land(fs, ctx, '/up')).toBe('/sr/etc/passwd');
    expect(land(fs, ctx, '/home/user/proj/hostlink')).toBe('/sr/etc/passwd');
    expect(errnoOf(() => land(fs, ctx, '/etc/resolv.conf'))).toBe(Errno.ENOENT);
    expect(land(fs, ctx, '/etc/resolv.conf', false)).toBe('/sr/etc/resolv.conf');
  });

  it('gives ELOOP for symlink loops and long chains', () => {
    const fs = world().symlink('/sr/a', 'b').symlink('/sr/b', '/a').symlink('/sr/self', '.').mkdirp('/sr/chain');
    for (let i = 0; i < 41; i++) fs.symlink(`/sr/chain/l${i}`, `l${i + 1}`);
    fs.file('/sr/chain/l41');
    const ctx = context(fs);
    expect(errnoOf(() => land(fs, ctx, '/a'))).toBe(Errno.ELOOP);
    expect(errnoOf(() => land(fs, ctx, '/a/x', false))).toBe(Errno.ELOOP);
    expect(land(fs, ctx, '/a', false)).toBe('/sr/a'); // the final link itself is fine
    expect(land(fs, ctx, '/self/self/etc/passwd')).toBe('/sr/etc/passwd');
    expect(errnoOf(() => land(fs, ctx, '/chain/l0'))).toBe(Errno.ELOOP);
    expect(land(fs, ctx, '/chain/l2')).toBe('/sr/chain/l41');
  });

  it('follows a final symlink when the path ends in a slash, and stops at a file used as a directory', () => {
    const fs = world().symlink('/sr/libdir', 'lib');
    const ctx = context(fs);
    expect(land(fs, ctx, '/libdir/', false)).toBe('/sr/lib');
    expect(errnoOf(() => land(fs, ctx, '/etc/passwd/x'))).toBe(Errno.ENOTDIR);
    expect(errnoOf(() => land(fs, ctx, '/etc/passwd/'))).toBe(Errno.ENOTDIR);
  });

  it('hands /proc and /dev to the synthetic filesystems, whatever the layers hold there', () => {
    const fs = world().mkdirp('/sr/proc').mkdirp('/proc/self');
    const ctx = context(fs);
    expect(land(fs, ctx, '/proc/self/maps')).toBe('synth /proc/self/maps');
    expect(land(fs, ctx, '/etc/../dev/null')).toBe('synth /dev/null');
  });
});

describe('whiteouts', () => {
  it('hides the host name under a sysroot name the guest removed', () => {
    const fs = world();
    const ctx = context(fs);
    const t = walkPath(ctx, ctx.root, '/etc/passwd', { follow: false });
    if (t.kind !== 'host') throw new Error('not host');
    fs.unlinkat(t.dirFd, t.name, false);
    ctx.whiteout(t.parent, t.name);
    t.release();
    expect(fs.describe(`/sr/etc/${whiteoutName('passwd')}`)).toBe('file:');
    expect(land(fs, ctx, '/etc/passwd')).toBe('/sr/etc/passwd (missing)');
    // The marker itself cannot be named by the guest.
    expect(errnoOf(() => land(fs, ctx, `/etc/${whiteoutName('passwd')}`))).toBe(Errno.EPERM);
    // A name only the sysroot had needs no marker.
    const u = walkPath(ctx, ctx.root, '/lib/libc.so.6', { follow: false });
    if (u.kind !== 'host') throw new Error('not host');
    fs.unlinkat(u.dirFd, u.name, false);
    ctx.whiteout(u.parent, u.name);
    u.release();
    expect(fs.describe(`/sr/lib/${whiteoutName('libc.so.6')}`)).toBe('none');
  });
});

describe('the host is never asked to follow anything', () => {
  it('every call names one component of a directory fd, and every fd the walk opened is closed', () => {
    const fs = world().symlink('/sr/l', '../../etc/../usr/./lib').symlink('/sr/usr/lib/x', '/etc/passwd');
    const ctx = context(fs);
    const before = fs.openFds;
    // mem-fs throws on a '/', a '..', or a follow request: these walks would fail if the walk asked.
    expect(land(fs, ctx, '/l/x')).toBe('/sr/etc/passwd');
    expect(land(fs, ctx, '/l/../../etc/hosts')).toBe('/etc/hosts'); // '..' after a link: the target's parent
    expect(errnoOf(() => land(fs, ctx, '/l/../etc/hosts'))).toBe(Errno.ENOENT); // /usr/etc
    expect(errnoOf(() => land(fs, ctx, '/l/x/y'))).toBe(Errno.ENOTDIR);
    expect(fs.openFds).toBe(before);
  });
});

describe('case-insensitive host volumes', () => {
  it('detects a volume that folds case', () => {
    const folding = world(true).file('/sr/Readme');
    const plain = world(false).file('/sr/Readme');
    expect(detectCaseFolding(folding, folding.openRoot('/sr'))).toBe(true);
    expect(detectCaseFolding(plain, plain.openRoot('/sr'))).toBe(false);
  });

  it('keeps names that differ only in case distinct', () => {
    const fs = world(true).mkdirp('/sr/src').file('/sr/src/Makefile');
    const ctx = context(fs);
    expect(ctx.foldsCase).toBe(true);
    expect(land(fs, ctx, '/src/Makefile')).toBe('/sr/src/Makefile');
    // 'makefile' is a different Linux name: the folding host would hand back Makefile, so it gets a token name.
    expect(land(fs, ctx, '/src/makefile')).toBe(`/sr/src/${caseToken('makefile')} (missing)`);
    fs.file(`/sr/src/${caseToken('makefile')}`);
    expect(land(fs, ctx, '/src/makefile')).toBe(`/sr/src/${caseToken('makefile')}`);
    expect(land(fs, ctx, '/src/Makefile')).toBe('/sr/src/Makefile');
    // Listings show the Linux names.
    const src = fs.openRoot('/sr/src');
    expect(ctx.guestEntries(fs.readdir(src)).map((e) => e.name).sort()).toEqual(['Makefile', 'makefile']);
  });

  it('round-trips token names, including non-ASCII bytes, and rejects what is not one', () => {
    for (const name of ['a', 'README', '\xc3\x9cn\xc3\xafcode', '.hidden', 'a\xff\xfeb']) expect(caseTokenName(caseToken(name))).toBe(name);
    expect(caseTokenName('plain')).toBeNull();
    expect(caseTokenName('.elfuse-case.zz')).toBeNull();
    expect(caseTokenName('.elfuse-case.')).toBeNull();
  });

  it('a case-sensitive sysroot is used as it is', () => {
    const fs = world(false).mkdirp('/sr/src').file('/sr/src/Makefile').file('/sr/src/makefile');
    const ctx = context(fs);
    expect(land(fs, ctx, '/src/makefile')).toBe('/sr/src/makefile');
  });
});
