/**
 * The synthetic /proc and /dev, identity and limits, and --sysroot, end to
 * end. Where qemu-aarch64 forwards to the real kernel (credentials, rlimits,
 * prctl, the memory devices) the guest's output must match it byte for byte;
 * where qemu shows its own or the host's /proc (maps, cpuinfo, version...)
 * the output is checked against proc(5)'s formats and the guest's own facts.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { referenceTools } from '../support/toolchain.js';
import { BUSYBOX, BUSYBOX_REF, GUESTS_REF, QEMU_REF, ROOT, expectSameRun, guest, requireReferences, runBoth, runElfuse, runQemu } from './helpers.js';

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-procfs-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const IDENTITY_REF = { path: guest('identity'), fix: 'bash scripts/build-guests.sh' };
const PROCFS_REF = { path: guest('procfs'), fix: 'bash scripts/build-guests.sh' };

describe('elfuse vs qemu-aarch64', () => {
  test.for([
    ['id'],
    ['uname', '-sm'],
    ['readlink', '/dev/stdin', '/dev/stdout', '/dev/fd'],
    ['stat', '-c', '%n %F %t:%T %a', '/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom'],
    ['head', '-c', '16', '/dev/zero'],
    ['cat', '/proc/sys/kernel/ostype'],
  ])('busybox %s', async (argv, ctx) => {
    requireReferences(ctx, [QEMU_REF, BUSYBOX_REF]);
    const { elfuse, qemu } = await runBoth([BUSYBOX, ...argv]);
    expectSameRun(elfuse, qemu);
  });

  test('identity: set*id rules, groups, rlimits (NOFILE, FSIZE), prctl, scheduling', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF, IDENTITY_REF]);
    // Each run writes its own scratch file (for RLIMIT_FSIZE); the path is never printed.
    const [elfuse, qemu] = await Promise.all([runElfuse([guest('identity'), join(dir, 'fsize-e')]), runQemu([guest('identity'), join(dir, 'fsize-q')])]);
    expect(qemu.stdout.toString()).toContain('write 150 under FSIZE 100 = 100');
    expectSameRun(elfuse, qemu);
  });

  test('procfs dev: the memory devices, /dev links, comm, seq-file errors', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF, PROCFS_REF]);
    const { elfuse, qemu } = await runBoth([guest('procfs'), 'dev']);
    expectSameRun(elfuse, qemu);
  });
});

/** proc(5) line formats. */
const MAPS_LINE = /^([0-9a-f]{8,})-([0-9a-f]{8,}) ([r-][w-][x-][ps]) ([0-9a-f]{8}) ([0-9a-f]{2}:[0-9a-f]{2}) (\d+) (?: *(\S.*))?$/;
/** The cross toolchain's copy of the kernel's uapi <asm/hwcap.h>: the independent source of the hwcap names. */
const HWCAP_H = '/usr/aarch64-linux-gnu/include/asm/hwcap.h';

/**
 * The Features line Linux prints for these hwcaps, from the header alone:
 * cpuinfo.c names each bit after its HWCAP_/HWCAP2_ macro, lowercased and
 * without underscores (Documentation/arch/arm64/elf_hwcaps.rst lists the
 * same names), AT_HWCAP bits first, each word in bit order.
 */
function expectedFeatures(header: string, hwcap: bigint, hwcap2: bigint): string[] {
  const bits = (prefix: string): Map<number, string> => {
    const out = new Map<number, string>();
    for (const m of header.matchAll(new RegExp(`^#define ${prefix}_(\\w+)\\s+\\(1U?L?\\s*<<\\s*(\\d+)\\)`, 'gm'))) {
      out.set(Number(m[2]), m[1]!.toLowerCase().replaceAll('_', ''));
    }
    return out;
  };
  const names: string[] = [];
  for (const [word, value] of [[bits('HWCAP'), hwcap], [bits('HWCAP2'), hwcap2]] as const) {
    for (let b = 0; b < 64; b++) {
      if (!((value >> BigInt(b)) & 1n)) continue;
      const name = word.get(b);
      expect(name, `bit ${b} is set but ${HWCAP_H} does not name it`).toBeDefined();
      names.push(name!);
    }
  }
  return names;
}

/** The text between "== PATH\n" and the next "== " header. */
function section(out: string, path: string): string {
  const start = out.indexOf(`== ${path}\n`);
  expect(start, `no section for ${path}`).toBeGreaterThanOrEqual(0);
  const body = out.slice(start + path.length + 4);
  const end = body.search(/^== |^\/proc\/self\/cmdline = /m);
  return end < 0 ? body : body.slice(0, end);
}

describe('the guest /proc view (checked against proc(5))', () => {
  test('procfs proc: self, fds, maps, status, stat, system files', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, PROCFS_REF]);
    const r = await runElfuse([guest('procfs'), 'proc', 'two words', ''], { env: { ELFUSE_T: '1' }, cwd: dir });
    expect(r.status, r.stderr.toString()).toBe(0);
    const out = r.stdout.toString();
    const line = (prefix: string): string => out.split('\n').find((l) => l.startsWith(prefix)) ?? '';
    const pid = Number(line('pid ').slice(4));
    expect(pid).toBeGreaterThan(0);

    expect(line('readlink /proc/self/exe = ')).toBe(`readlink /proc/self/exe = ${guest('procfs')}`);
    expect(line(`readlink /proc/${pid}/exe = `)).toBe(`readlink /proc/${pid}/exe = ${guest('procfs')}`);
    expect(line('readlink /proc/self/cwd = ')).toBe(`readlink /proc/self/cwd = ${dir}`);
    expect(line('readlink /proc/self = ')).toBe(`readlink /proc/self = ${pid}`);
    expect(line('readlink /proc/self/fd/3 = ')).toBe(`readlink /proc/self/fd/3 = /proc/${pid}/status`);
    expect(line('ls /proc/self/fd:')).toBe('ls /proc/self/fd: . .. 0 1 2 3 4');
    expect(line('ls /proc/self:')).toContain(' auxv cmdline comm cwd environ exe fd fdinfo limits maps mounts net oom_adj oom_score oom_score_adj root smaps smaps_rollup stat status');
    expect(line('ls /proc/sys/kernel:')).toBe('ls /proc/sys/kernel: . .. hostname osrelease ostype pid_max');
    expect(section(out, '/proc/self/fdinfo/3')).toMatch(/^pos:\t0\nflags:\t0\d+\nmnt_id:\t\d+\nino:\t\d+\n/);
    for (const check of ['stat /proc/self/status regular, size 0', 'stat /proc/self is a dir', 'lstat /proc/self is a link']) {
      expect(line(check)).toBe(`${check} = 1`);
    }
    expect(out).toContain('small reads of /proc/self/status: same, byte 10 same');
    expect(out).toContain('small reads of /proc/self/maps: same, byte 10 same');

    // maps: the real VMAs, ascending, with the executable's segments named, [heap] and [stack].
    const maps = section(out, '/proc/self/maps').trimEnd().split('\n');
    let prevEnd = 0n;
    for (const l of maps) {
      const m = MAPS_LINE.exec(l);
      expect(m, `maps line: ${JSON.stringify(l)}`).not.toBeNull();
      const [start, end] = [BigInt(`0x${m![1]}`), BigInt(`0x${m![2]}`)];
      expect(start < end && start >= prevEnd).toBe(true);
      prevEnd = end;
      if (m![7] !== undefined) expect(l.indexOf(m![7]), 'name column').toBe(73);
    }
    expect(maps.some((l) => l.includes(' r-xp ') && l.endsWith(guest('procfs')))).toBe(true);
    expect(maps.some((l) => l.endsWith('[heap]'))).toBe(true);
    expect(maps[maps.length - 1]).toMatch(/ rw-p .*\[stack\]$/);

    const status = section(out, '/proc/self/status');
    expect(status).toMatch(/^Name:\tprocfs\n/);
    expect(status).toContain(`\nPid:\t${pid}\n`);
    expect(status).toMatch(/\nUid:\t\d+\t\d+\t\d+\t\d+\n/);
    expect(status).toMatch(/\nVmSize:\t +\d+ kB\n/);
    expect(status).toMatch(/\nSigBlk:\t[0-9a-f]{16}\n/);

    const stat = section(out, '/proc/self/stat').trim().split(' ');
    expect(stat.slice(0, 3)).toEqual([String(pid), '(procfs)', 'R']);
    expect(stat).toHaveLength(52);

    expect(section(out, '/proc/self/mounts')).toMatch(/^(\S+ \S+ \S+ \S+ \d+ \d+\n)+$/);
    expect(section(out, '/proc/meminfo')).toMatch(/^MemTotal: +\d+ kB\n(\w+: +\d+ kB\n)+$/);
    expect(section(out, '/proc/stat')).toMatch(/^cpu  (\d+ ){9}\d+\ncpu0 /);
    expect(section(out, '/proc/uptime')).toMatch(/^\d+\.\d\d \d+\.\d\d\n$/);
    expect(section(out, '/proc/loadavg')).toMatch(/^\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+\/\d+ \d+\n$/);
    expect(section(out, '/proc/version')).toMatch(/^Linux version 6\.12\.\S+ \(.+\) .*\n$/);
    expect(section(out, '/proc/filesystems')).toMatch(/^((nodev)?\t\w+\n)+$/);
    const uname = line('uname ').split(' ');
    expect(uname[1]).toBe('Linux');
    expect(uname[2]).toMatch(/^6\.12\./);
    expect(uname[3]).toBe('aarch64');
    expect(section(out, '/proc/sys/kernel/osrelease')).toBe(`${uname[2]}\n`);

    // cpuinfo's Features are exactly the AT_HWCAP and AT_HWCAP2 bits the guest got, named as the header names them.
    if (!existsSync(HWCAP_H)) {
      if (process.env.ELFUSE_ALLOW_MISSING_REFS !== '1') throw new Error(`missing ${HWCAP_H}: apt-get install gcc-aarch64-linux-gnu`);
      return;
    }
    const hwcap = BigInt(`0x${line('hwcap ').slice(6)}`);
    const hwcap2 = BigInt(`0x${line('hwcap2 ').slice(7)}`);
    const cpuinfo = section(out, '/proc/cpuinfo');
    expect(cpuinfo).toMatch(/^processor\t: 0\n/);
    const features = /^Features\t: (.*)$/m.exec(cpuinfo)![1]!.split(' ');
    expect(features).toEqual(expectedFeatures(readFileSync(HWCAP_H, 'utf8'), hwcap, hwcap2));
    expect(cpuinfo).toMatch(/\nCPU implementer\t: 0x[0-9a-f]{2}\nCPU architecture: 8\n/);

    expect(line('/proc/self/cmdline = ')).toBe(`/proc/self/cmdline = ${guest('procfs')}|proc|two words||`);
    expect(line('/proc/self/environ = ')).toContain('ELFUSE_T=1|');
    expect(line('auxv: ')).toMatch(/AT_PAGESZ ok, AT_HWCAP ok, AT_NULL ok$/);
  });
});

describe('--sysroot', () => {
  test('program, files, symlinks and cwd resolve inside the sysroot; nothing leads out', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, PROCFS_REF]);
    const root = join(dir, 'sysroot');
    mkdirSync(join(root, 'bin'), { recursive: true });
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'usr/share'), { recursive: true });
    copyFileSync(guest('cat-file'), join(root, 'bin/cat-file'));
    copyFileSync(guest('procfs'), join(root, 'bin/procfs'));
    writeFileSync(join(root, 'etc/marker'), 'inside the sysroot\n');
    writeFileSync(join(dir, 'host-secret'), 'the host file\n');
    // A host decoy the sysroot shadows: the guest's name for it is the sysroot's file.
    mkdirSync(join(dir, 'decoy'));
    writeFileSync(join(dir, 'decoy/secret.txt'), 'HOST DECOY\n');
    mkdirSync(join(root, dir, 'decoy'), { recursive: true });
    writeFileSync(join(root, dir, 'decoy/secret.txt'), 'the sysroot copy\n');
    symlinkSync('/etc/marker', join(root, 'usr/share/abs-link'));
    symlinkSync('../../etc/marker', join(root, 'usr/share/rel-link'));
    symlinkSync(`../../../../../../../../..${dir}/decoy/secret.txt`, join(root, 'etc/escape-rel'));
    symlinkSync(`${dir}/decoy/secret.txt`, join(root, 'etc/escape-abs'));
    symlinkSync(`${dir}/host-secret`, join(root, 'etc/host-link'));
    symlinkSync('/etc', join(root, 'etc-link'));
    const sys = (args: string[], cwd?: string) => runElfuse(['--sysroot', root, ...args], cwd ? { cwd } : {});

    const cat = async (path: string) => (await sys(['/bin/cat-file', path])).stdout.toString();
    expect(await cat('/etc/marker')).toBe('inside the sysroot\n');
    expect(await cat('/usr/share/abs-link')).toBe('inside the sysroot\n');
    expect(await cat('/usr/share/rel-link')).toBe('inside the sysroot\n');
    expect(await cat('/etc-link/marker')).toBe('inside the sysroot\n');
    expect(await cat('/../../../etc/marker')).toBe('inside the sysroot\n');
    // Symlinks aimed at a host file the sysroot shadows resolve to the sysroot's file, never the host's.
    expect(await cat('/etc/escape-rel')).toBe('the sysroot copy\n');
    expect(await cat('/etc/escape-abs')).toBe('the sysroot copy\n');
    expect(await cat(`${dir}/decoy/secret.txt`)).toBe('the sysroot copy\n');
    // A path the sysroot has no entry for is the host's, named directly or through a link.
    expect(await cat(`${dir}/host-secret`)).toBe('the host file\n');
    expect(await cat('/etc/host-link')).toBe('the host file\n');

    // /proc/self/exe and getcwd give guest paths; relative `..` from inside stops at the top.
    const r = await sys(['/bin/procfs', 'proc'], join(root, 'etc'));
    expect(r.status, r.stderr.toString()).toBe(0);
    const out = r.stdout.toString();
    expect(out).toContain('readlink /proc/self/exe = /bin/procfs\n');
    expect(out).toContain('getcwd /etc\n');
    expect(out).toContain('readlink /proc/self/cwd = /etc\n');
    expect(out).toMatch(/ r-xp .* \/bin\/procfs\n/);
    const up = await sys(['/bin/cat-file', '../../../../../../etc/marker'], join(root, 'etc'));
    expect(up.stdout.toString()).toBe('inside the sysroot\n');
  });

  test('PT_INTERP resolves through the sysroot: an empty file there is found and refused; no file is 127', async (ctx) => {
    const refs = referenceTools('aarch64-linux-gnu-gcc');
    if (refs.skip) ctx.skip(refs.missing);
    refs.check();
    const root = join(dir, 'dynroot');
    mkdirSync(join(root, 'lib'), { recursive: true });
    const exe = join(dir, 'dyn');
    execFileSync('aarch64-linux-gnu-gcc', ['-o', exe, join(ROOT, 'guests/src/hello.c')]);
    writeFileSync(join(root, 'lib/ld-linux-aarch64.so.1'), '');
    // Found in the sysroot (the host has no such file): not an ELF, so ELIBBAD, "cannot execute".
    const r = await runElfuse(['--sysroot', root, exe]);
    expect(r.status).toBe(126);
    expect(r.stderr.toString()).toMatch(new RegExp(`^elfuse: ${exe}: interpreter /lib/ld-linux-aarch64.so.1: .+\n$`));
    const empty = join(dir, 'emptyroot');
    mkdirSync(empty, { recursive: true });
    const missing = await runElfuse(['--sysroot', empty, exe]);
    expect(missing.status).toBe(127);
    expect(missing.stderr.toString()).toContain(`its interpreter /lib/ld-linux-aarch64.so.1 is neither in the sysroot ${empty} nor on the host`);
  });

  test('a missing sysroot is a usage error', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    const r = await runElfuse(['--sysroot', join(dir, 'nope'), guest('hello')]);
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toContain('No such file or directory');
  });
});
