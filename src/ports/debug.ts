/**
 * The debugger's transport: a listener for byte-stream connections (GDB's
 * remote protocol over TCP). The protocol itself lives in the domain
 * (src/domain/debug/); the host adapter only moves bytes.
 */

/** One connection from a debugger. */
export interface DebugConnection {
  write(bytes: Uint8Array): void;
  /** Ends the connection; onClose listeners run. */
  close(): void;
  onData(listener: (bytes: Uint8Array) => void): void;
  onClose(listener: () => void): void;
}

/** A listening endpoint. */
export interface DebugListener {
  /** host:port it listens on, for messages. */
  readonly address: string;
  onConnection(listener: (connection: DebugConnection) => void): void;
  /** Stops listening (existing connections stay). */
  close(): void;
}

export interface DebugServerPort {
  /** Listen on host:port; rejects with a one-line message when the address cannot be used. */
  listen(host: string, port: number): Promise<DebugListener>;
}
