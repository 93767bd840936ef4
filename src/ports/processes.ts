/**
 * Host processes: how one elfuse process starts another for a forked guest,
 * talks to it, and acts on host process groups and sessions. One guest
 * process is one host process, so guest pids, process groups and sessions
 * are the host's own; what travels between elfuse processes (fork state,
 * exit statuses, signals with their siginfo) goes over a channel, framed
 * by the adapter, opaque bytes to it.
 */

/** A message channel to another elfuse process. */
export interface ProcessChannel {
  /** Sends one message; resolves once the host has it (so an exiting process can wait for its last words). */
  send(message: Uint8Array): Promise<void>;
  /** Each message received, in order. */
  onMessage(listener: (message: Uint8Array) => void): void;
  /** The other side went away (its process ended, or it closed the channel). */
  onClose(listener: () => void): void;
  /** Whether the channel keeps this process alive while it waits for messages. */
  setKeepAlive(on: boolean): void;
  close(): void;
}

/** How a host process ended, as the host reports it. */
export type HostExit = { readonly code: number } | { readonly signal: string };

export interface SpawnedProcess {
  readonly pid: number;
  readonly channel: ProcessChannel;
  /** The host process ended (after any message it sent). */
  onExit(listener: (how: HostExit) => void): void;
}

export interface HostProcesses {
  /**
   * Starts a new elfuse process that restores a forked guest. It gets this
   * process's fds 0-2 (closed ones stay closed), the channel, and `fds`, in
   * order, as the host fds it finds at `FORK_FIRST_FD` on.
   */
  spawnForkChild(fds: readonly number[]): SpawnedProcess;
  /** In a process started by spawnForkChild: the channel to its parent; otherwise null. */
  parentChannel(): ProcessChannel | null;
  /** kill(2) of a host process or group (negative pid); the signal by its POSIX name, or 0 to probe. */
  kill(pid: number, signal: string | 0): void;
  getppid(): number;
  /** Resolves once every message sent on any channel has reached the host (before this process exits). */
  flush(): Promise<void>;
  /** The processes of a host process group (to signal each in its own way); empty if it has none. */
  groupMembers(pgid: number): number[];
  getpgid(pid: number): number;
  setpgid(pid: number, pgid: number): void;
  getsid(pid: number): number;
  setsid(): number;
}

/** The first host fd a fork child finds the descriptions passed to it at (0-2 are stdio, 3 the channel). */
export const FORK_FIRST_FD = 4;
