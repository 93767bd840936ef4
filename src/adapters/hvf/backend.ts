/**
 * The Hypervisor.framework backend. It needs macOS on Apple silicon and a
 * native addon (node-addon-api) that owns the VM and one host thread per
 * vCPU; neither exists in this build yet, so asking for it fails with a
 * clear reason instead of falling back silently.
 */
import { BackendUnavailable, type Backend } from '../../ports/backend.js';

export interface HostPlatform {
  platform: string;
  arch: string;
}

/** Why hvf cannot run here, or null when it can. */
export function hvfUnavailableReason(host: HostPlatform): string | null {
  if (host.platform !== 'darwin' || host.arch !== 'arm64') {
    return `the hvf backend needs macOS on Apple silicon (this host is ${host.platform}-${host.arch})`;
  }
  return 'the hvf backend addon is not built in this version of elfuse';
}

export function createHvfBackend(host: HostPlatform): Backend {
  throw new BackendUnavailable(hvfUnavailableReason(host) ?? 'hvf backend unavailable');
}
