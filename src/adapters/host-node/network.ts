/**
 * HostNetwork on the native addon (native/netif.cc): the host's getifaddrs
 * on Linux and macOS alike, with flags, families and link types by name.
 */

import type { HostIfAddr, HostLink, HostNetwork } from '../../ports/host.js';
import { native, posix } from './posix.js';

interface NativeNetwork {
  netInterfaces(): (HostLink | HostIfAddr)[];
}

export class NodeHostNetwork implements HostNetwork {
  interfaces(): readonly (HostLink | HostIfAddr)[] {
    return native('getifaddrs', () => (posix() as unknown as NativeNetwork).netInterfaces());
  }
}
