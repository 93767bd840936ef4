/**
 * The run queue of one process's threads (its vCPUs) on the interpreter:
 * one JavaScript thread runs guest code, so one thread at a time holds the
 * CPU and the others wait in FIFO order. A thread gives the CPU up at the
 * end of its time slice (a count of instructions: the vCPU's slice) and
 * whenever it waits (a syscall that returns a promise, WFI/WFE); the next
 * in line takes it. Nothing here reads a clock, so a program whose threads
 * only compute and synchronise among themselves retires the same
 * instructions per thread in the same order on every run.
 *
 * With one thread the queue is always free and taking it costs a test.
 */

export class RunQueue {
  private holder: object | null = null;
  private readonly waiting: { readonly who: object; readonly resolve: () => void }[] = [];

  /** Whether `who` holds the CPU. */
  holds(who: object): boolean {
    return this.holder === who;
  }

  /** Some other thread waits for the CPU. */
  get contended(): boolean {
    return this.waiting.length > 0;
  }

  /** Takes the CPU: at once when it is free and no one waits, else in turn. */
  take(who: object): Promise<void> | undefined {
    if (this.holder === who) return undefined;
    if (this.holder === null && this.waiting.length === 0) {
      this.holder = who;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiting.push({ who, resolve }));
  }

  /** Gives the CPU up (a no-op for a thread that does not hold it); the next in line gets it. */
  release(who: object): void {
    if (this.holder !== who) return;
    this.holder = null;
    const next = this.waiting.shift();
    if (next) {
      this.holder = next.who;
      next.resolve();
    }
  }

  /** A thread that ended while waiting in line (exit_group reached it): its turn passes. */
  leave(who: object): void {
    const i = this.waiting.findIndex((w) => w.who === who);
    if (i >= 0) this.waiting.splice(i, 1);
    this.release(who);
  }
}
