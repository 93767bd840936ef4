/**
 * The zombies of an exiting process go to its new parent (kernel/exit.c
 * forget_original_parent, find_new_reaper, reparent_leader).
 *
 * On Linux a process that exits leaving children, running or zombie, hands
 * them to the nearest ancestor that is a child subreaper (PR_SET_CHILD_
 * SUBREAPER) and not exiting, or to init; a zombie among them is announced
 * to its new parent at once (do_notify_parent: SIGCHLD, its exit signal
 * becoming SIGCHLD), which can then wait for it with its real status and
 * rusage. Running children are the host's business here: PR_SET_CHILD_
 * SUBREAPER is set on the host too, and the host reparents their elfuse
 * processes (wait.ts adoptOrphans). A zombie is not: its elfuse process has
 * ended and was reaped by this one, which alone holds its status. So the
 * exiting process sends each of its zombies' status, rusage, group and name
 * to the new parent, found by walking its host ancestors through the
 * tree's records (proc-records.ts) up to the first subreaper, and stopping
 * at the first process that is no guest of the tree: then init, outside
 * the guest's view, would have reaped the zombie, and nothing is sent.
 *
 * Order: on Linux the zombie is the new parent's child before the exiting
 * process itself is a zombie, so a wait in the new parent never says ECHILD
 * in between. When the new parent is this process's parent, the zombies go
 * on the channel before the exit report, and the parent applies the report
 * only once this process's host process is gone (fork.ts). Otherwise they
 * go to the new parent's mailbox, which answers ('reparent-done') once it
 * has the child; this process waits for the answer before it exits, for at
 * most ANSWER_WAIT_NS (a subreaper stopped, or with its event loop held
 * that long, hears of the zombie late rather than never). A subreaper that
 * is exiting refuses, and the next one up is asked, as find_new_reaper
 * skips an exiting one.
 *
 * Left open: a zombie whose end this process hears of only after its
 * answers came is still sent, but without waiting for the answer; an
 * elfuse process killed from outside (SIGKILL) hands nothing on; and the
 * zombie's pid is free on the host once this process reaped it, so the
 * host may give it to another process meanwhile (Linux keeps it until the
 * new parent reaps the zombie).
 */

import { decodeMessage, encodeMessage, type ReparentedZombie } from '../fork/messages.js';
import { guestRecord } from './proc-records.js';
import type { Task } from './task.js';
import { adoptZombie, type ChildProcess } from './wait.js';

/** How long an exiting process waits for a subreaper's answer, at most. */
const ANSWER_WAIT_NS = 2_000_000_000n;
const POLL_NS = 10_000_000n;

type Answer = 'accepted' | 'refused' | 'gone' | 'silent';

/**
 * find_new_reaper: the nearest host ancestor of this process that is a
 * guest of the tree and a child subreaper, skipping `passed` (those that
 * refused: exiting); null when the walk leaves the tree first.
 */
export function nearestSubreaper(task: Task, passed: ReadonlySet<number>): number | null {
  let pid: number;
  try {
    pid = task.host.processes.getppid();
  } catch {
    return null;
  }
  for (let hops = 0; pid > 1 && hops < 4096; hops++) {
    const rec = guestRecord(task, pid);
    if (!rec) return null; // the host's side: its init (or a host subreaper) reaps the zombie
    if (rec.subreaper && !passed.has(pid)) return pid;
    const view = task.host.processes.hostView(pid);
    if (!view || view.ppid === pid) return null;
    pid = view.ppid;
  }
  return null;
}

function zombieOf(task: Task, child: ChildProcess, answerTo: boolean): ReparentedZombie {
  return {
    from: answerTo ? task.pid : 0,
    pid: child.pid,
    status: child.status,
    code: child.code,
    siStatus: child.siStatus,
    pgid: child.pgid,
    uid: child.uid,
    rusage: child.rusage,
    comm: child.comm,
  };
}

function alive(task: Task, pid: number): boolean {
  const view = task.host.processes.hostView(pid);
  return view !== null && view.state !== 'Z' && view.state !== 'X';
}

/**
 * Hands every zombie child of this exiting process to its new parent, and
 * from then on each child whose end is heard later (Children.handOn).
 * Resolves once the new parent has them, or nobody in the guest's view
 * will. Called when the guest has ended, before the exit report.
 */
export async function reparentZombies(task: Task): Promise<void> {
  const children = task.tg.children;
  const answers = new Map<number, (accepted: boolean) => void>();
  const unsubscribe = task.host.processes.onProcessMessage((bytes) => {
    let m;
    try {
      m = decodeMessage(bytes);
    } catch {
      return;
    }
    if (m.kind === 'reparent-done') answers.get(m.pid)?.(m.accepted);
    // This process is exiting: a subreaper further up is to have it (find_alive_thread).
    else if (m.kind === 'reparented') answerZombie(task, m.zombie, false);
  });

  const ask = async (target: number, child: ChildProcess): Promise<Answer> => {
    const answered = new Promise<Answer>((resolve) => answers.set(child.pid, (ok) => resolve(ok ? 'accepted' : 'refused')));
    let dead = false;
    const sent = task.host.processes.sendToProcess(target, encodeMessage({ kind: 'reparented', zombie: zombieOf(task, child, true) }), () => {
      dead = true;
    });
    if (!sent) return 'gone';
    try {
      for (let waited = 0n; waited < ANSWER_WAIT_NS; waited += POLL_NS) {
        const a = await Promise.race([answered, task.host.clock.sleep(POLL_NS).then(() => null)]);
        if (a) return a;
        if (dead || !alive(task, target)) return 'gone';
      }
      return 'silent';
    } finally {
      answers.delete(child.pid);
    }
  };

  const handOn = async (zombies: ChildProcess[], waitForAnswers: boolean): Promise<void> => {
    const passed = new Set<number>();
    let left = zombies;
    for (let round = 0; left.length > 0 && round < 8; round++) {
      const target = nearestSubreaper(task, passed);
      if (target === null) return;
      const parent = task.parentLink;
      let hostParent = 0;
      try {
        hostParent = task.host.processes.getppid();
      } catch {
        // gone: no channel to it either
      }
      if (parent && parent.pid === target && hostParent === target) {
        // The channel keeps the order: the parent has them before it hears this process exited.
        for (const z of left) void parent.channel.send(encodeMessage({ kind: 'reparented', zombie: zombieOf(task, z, false) }));
        return;
      }
      if (!waitForAnswers) {
        for (const z of left) task.host.processes.sendToProcess(target, encodeMessage({ kind: 'reparented', zombie: zombieOf(task, z, false) }), () => undefined);
        return;
      }
      const got = await Promise.all(left.map((z) => ask(target, z)));
      if (got.includes('silent')) task.trace(`elfuse: exit: subreaper ${target} did not answer; its new zombie children reach it late`);
      left = left.filter((_, i) => got[i] === 'refused' || got[i] === 'gone');
      passed.add(target);
    }
  };

  try {
    const zombies = [...children.byPid.values()].filter((c) => c.state === 'zombie');
    for (const z of zombies) children.byPid.delete(z.pid);
    children.handOn = (child) => void handOn([child], false);
    if (zombies.length > 0) {
      children.changed();
      await handOn(zombies, true);
    }
  } finally {
    unsubscribe();
  }
}

/**
 * A zombie handed to this process through its mailbox (by a process that
 * is not its child): taken as a child when this process is a subreaper
 * whose guest still runs; the answer tells the sender either way.
 */
export function answerZombie(task: Task, z: ReparentedZombie, mayTake: boolean): void {
  const took = mayTake && !task.exit && task.tg.childSubreaper;
  // A pid that names a child here already (the host reused it) loses the zombie, as if reaped.
  if (took) adoptZombie(task, z);
  if (z.from > 0) task.host.processes.sendToProcess(z.from, encodeMessage({ kind: 'reparent-done', pid: z.pid, accepted: took }), () => undefined);
}
