/**
 * The debugger transport on Node: a TCP listener (node:net) that hands
 * byte streams to the domain's GDB stub. Loopback by default; the CLI
 * decides the address.
 */
import { createServer, type Socket } from 'node:net';
import type { DebugConnection, DebugListener, DebugServerPort } from '../../ports/debug.js';

function connection(socket: Socket): DebugConnection {
  socket.setNoDelay(true);
  const closeListeners: (() => void)[] = [];
  let closed = false;
  const closeOnce = (): void => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l();
  };
  socket.on('close', closeOnce);
  socket.on('error', () => socket.destroy());
  return {
    write(bytes) {
      if (!closed && socket.writable) socket.write(bytes);
    },
    close() {
      socket.end();
      socket.destroy();
      closeOnce();
    },
    onData(listener) {
      socket.on('data', (b: Buffer) => listener(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
  };
}

export const nodeDebugServer: DebugServerPort = {
  listen(host, port) {
    return new Promise<DebugListener>((resolve, reject) => {
      const server = createServer();
      const listeners: ((c: DebugConnection) => void)[] = [];
      server.on('connection', (socket) => {
        const c = connection(socket);
        for (const l of listeners) l(c);
      });
      server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${host}:${port}: ${e.code ?? e.message}`)));
      server.listen(port, host, () => {
        server.on('error', () => undefined);
        resolve({
          address: `${host}:${port}`,
          onConnection(listener) {
            listeners.push(listener);
          },
          close() {
            server.close();
          },
        });
      });
    });
  },
};
