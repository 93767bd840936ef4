/**
 * The sysroot options on the host side: --sysroot DIR must name an existing
 * directory (made absolute, so the guest's chdir cannot change what it
 * means); --create-sysroot DIR provisions a case-sensitive APFS volume in a
 * sparse bundle next to DIR, mounts it at DIR and uses it as the sysroot.
 * That needs macOS's hdiutil; elsewhere it is refused with the reason.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './options.js';

/** The absolute sysroot for --sysroot DIR, or a usage error saying why DIR cannot be one. */
export function checkSysroot(dir: string): string {
  const abs = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    throw new UsageError(`--sysroot ${dir}: No such file or directory`);
  }
  if (!isDir) throw new UsageError(`--sysroot ${dir}: Not a directory`);
  return abs;
}

/** Whether `dir` is already a mount point (its device differs from its parent's). */
function isMountPoint(dir: string): boolean {
  try {
    return statSync(dir).dev !== statSync(resolve(dir, '..')).dev;
  } catch {
    return false;
  }
}

/**
 * --create-sysroot DIR: on macOS, create DIR.sparsebundle (case-sensitive
 * APFS, growing on demand) unless it exists, and attach it at DIR unless
 * something is mounted there already. Returns the absolute sysroot.
 */
export function createSysroot(dir: string, platform: NodeJS.Platform = process.platform): string {
  if (platform !== 'darwin') {
    throw new UsageError(`--create-sysroot needs macOS (it creates a case-sensitive APFS volume with hdiutil); use --sysroot ${dir} on this host`);
  }
  const abs = resolve(dir);
  const bundle = `${abs}.sparsebundle`;
  try {
    if (!existsSync(bundle)) {
      execFileSync('hdiutil', ['create', '-quiet', '-type', 'SPARSEBUNDLE', '-size', '64g', '-fs', 'Case-sensitive APFS', '-volname', 'elfuse-sysroot', bundle], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    }
    mkdirSync(abs, { recursive: true });
    if (!isMountPoint(abs)) {
      execFileSync('hdiutil', ['attach', '-quiet', '-nobrowse', '-mountpoint', abs, bundle], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new UsageError(`--create-sysroot ${dir}: ${stderr || (e instanceof Error ? e.message : String(e))}`);
  }
  return abs;
}
