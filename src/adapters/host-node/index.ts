/** The host ports on Node.js: what the composition root binds for a real run. */

import type { HostPorts } from '../../ports/host.js';
import { NodeHostFs } from './fs.js';
import { NodeHostClock, NodeHostProcess, NodeHostRandom } from './system.js';
import { NodeHostSignals } from './signals.js';
import { NodeHostTerminal } from './terminal.js';
import { NodeHostProcesses } from './processes.js';
import { NodeHostShm } from './shm.js';
import { NodeHostSockets } from './sockets.js';
import { NodeHostNotify } from './notify.js';
import { NodeHostNetwork } from './network.js';

export { NodeHostFs } from './fs.js';
export { NodeHostClock, NodeHostProcess, NodeHostRandom } from './system.js';
export { NodeHostSignals } from './signals.js';
export { NodeHostTerminal } from './terminal.js';
export { NodeHostProcesses } from './processes.js';
export { NodeHostRam, NodeHostShm } from './shm.js';
export { NodeHostSockets } from './sockets.js';
export { NodeHostNotify } from './notify.js';
export { NodeHostNetwork } from './network.js';

export function createNodeHostPorts(): HostPorts {
  return {
    fs: new NodeHostFs(),
    clock: new NodeHostClock(),
    random: new NodeHostRandom(),
    process: new NodeHostProcess(),
    terminal: new NodeHostTerminal(),
    signals: new NodeHostSignals(),
    processes: new NodeHostProcesses(),
    shm: new NodeHostShm(),
    sockets: new NodeHostSockets(),
    notify: new NodeHostNotify(),
    network: new NodeHostNetwork(),
  };
}
