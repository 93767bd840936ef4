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
  /**
   * The guest reaped this child, whose process said it may be reused (its
   * 'reusable' report): the process may wait for a later fork of this one
   * instead of ending, so that fork needs no new process. Its pid is free
   * to the guest from now on, as Linux frees a pid at the reap.
   */
  reuse(): void;
}

/** What the host knows of one of its processes (Linux: /proc/PID/stat); absent fields are unknown. */
export interface HostProcessView {
  /** The state letter (R, S, D, T, t, Z, ...), or '?' where the host cannot tell. */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
}

/** A host child this process reaped: its wait status word and resource usage. */
export interface ReapedChild {
  readonly status: number;
  readonly utimeUs: bigint;
  readonly stimeUs: bigint;
  readonly maxrssKb: bigint;
}

/** Where a fork child's process goes at its start: this process's group, another group, or a new session. */
export type ChildGroup = { readonly kind: 'inherit' } | { readonly kind: 'pgid'; readonly pgid: number } | { readonly kind: 'setsid' };

/**
 * A process started for a fork child that has not been handed the fork yet
 * (its pid is known): vfork runs the child in the parent's machine until it
 * execs or exits, and only then hands it over (reserveForkChild).
 */
export interface ReservedProcess {
  readonly pid: number;
  /** Hands the fork over: as spawnForkChild, with `group` deciding its process group or session. */
  start(fds: readonly number[], group: ChildGroup): SpawnedProcess;
}

export interface HostProcesses {
  /**
   * Starts a new elfuse process that restores a forked guest (or hands the
   * fork to one started ahead). It gets this process's fds 0-2 (closed ones
   * stay closed), this process's process group, the channel, and `fds`,
   * which it finds with inheritedFd.
   */
  spawnForkChild(fds: readonly number[]): SpawnedProcess;
  /** A process for a fork child, its pid known now and the fork handed over later (ReservedProcess.start). */
  reserveForkChild(): ReservedProcess;
  /** In a process started by spawnForkChild: the channel to its parent; otherwise null. */
  parentChannel(): ProcessChannel | null;
  /** In a fork child, once parentChannel answered: its own host fd for `fds[slot]` of spawnForkChild. */
  inheritedFd(slot: number): number;
  /**
   * In a fork child whose guest has ended: whether this process may serve
   * another fork of its parent (the parent keeps such processes, and this
   * one is still in the parent's session).
   */
  reusable(): boolean;
  /**
   * In a fork child that said it is reusable, once its guest was reported:
   * puts back what the guest changed in the host process, then waits for
   * the next fork (blocking: this process has nothing else to do). True
   * when a fork came (parentChannel and inheritedFd then answer for it),
   * false when the parent wants this process no more.
   */
  awaitNextFork(): boolean;
  /**
   * Sends `message` (a signal with its siginfo) to another elfuse process of
   * this tree, one that is neither this process's child nor its parent (those
   * have the channel): delivery is asynchronous, in order per target. False
   * when the target has no mailbox (not an elfuse process of the tree); when
   * the mailbox turns out to be dead, `fallback` runs instead (the host's
   * kill, which carries no siginfo).
   */
  sendToProcess(pid: number, message: Uint8Array, fallback: () => void): boolean;
  /** Messages other elfuse processes of the tree send this one with sendToProcess; returns the unsubscribe. */
  onProcessMessage(listener: (message: Uint8Array) => void): () => void;
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
  /**
   * The guest process records of this process tree (the first elfuse process
   * and every process forked from it, orphans included): each elfuse process
   * publishes its own (opaque bytes to the port), replaces it when it
   * changes, and it is withdrawn when the process exits. Records of
   * processes that died without withdrawing, or whose pid the host reused,
   * are never returned.
   */
  publish(record: Uint8Array | null): void;
  /** Another process's record, or null (no such process in this tree). */
  published(pid: number): Uint8Array | null;
  /** The pids of the tree's processes with a record, this one included. */
  publishedPids(): number[];
  /** The host's view of a process, or null if it does not exist (or the host has no such view). */
  hostView(pid: number): HostProcessView | null;
  /** prctl(PR_SET_PDEATHSIG) of this host process: the host signal by its POSIX name, or 0 to clear. */
  setPdeathSignal(signal: string | 0): void;
  /** prctl(PR_SET_CHILD_SUBREAPER) of this host process: orphans below it become its host children. */
  setChildSubreaper(on: boolean): void;
  /**
   * Host children of this process that it did not start: orphans the host
   * gave it as a subreaper, running or already exited (an exited one has
   * withdrawn its record, so only the host still knows it). Empty where the
   * host cannot list a process's children.
   */
  adoptedHostChildren(): number[];
  /** wait4(pid, WNOHANG) of a host child this process did not start (an orphan it adopted); null while it runs. */
  reapAdopted(pid: number): ReapedChild | null;
}
