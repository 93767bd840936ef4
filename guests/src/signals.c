/*
 * signals [MODE]: signal delivery as a Linux arm64 process sees it. Without
 * a mode it runs every check and prints one deterministic line per fact
 * (no addresses or pids: only comparisons of them). With a mode it ends
 * through a default action, so the exit status can be compared:
 *   usr1          raise(SIGUSR1) with SIG_DFL           (terminate, 138)
 *   segv-blocked  SIGSEGV blocked, then a NULL store    (forced default, 139)
 *   segv-ignored  SIGSEGV ignored, then a NULL store    (forced default, 139)
 *   pipe          write to a pipe with no reader       (SIGPIPE, 141)
 *   ignored       SIGUSR1/SIGCHLD/SIGWINCH ignored or default-ignored, exit 7
 *   resethand     second SIGUSR2 after SA_RESETHAND    (terminate, 140)
 *   altstack-overflow  a handler on an unwritable alternate stack (SIGSEGV, 139)
 *   stop          raise(SIGSTOP): stopped until a SIGCONT arrives, then exit 0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31) /* linux/signal.h; glibc's headers lack it */
#endif

static sigjmp_buf jump;
static volatile sig_atomic_t count;
static volatile int last_sig, last_code;
static volatile uintptr_t last_addr, last_pc;
static volatile int last_pid_ok, last_uid_ok;
static volatile long last_value;

static void on(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) != 0) perror("sigaction");
}

static void record(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  count++;
  last_sig = si->si_signo == sig ? sig : -1;
  last_code = si->si_code;
  last_addr = (uintptr_t)si->si_addr;
  last_pc = uc->uc_mcontext.pc;
  last_pid_ok = si->si_pid == getpid();
  last_uid_ok = si->si_uid == getuid();
  last_value = si->si_value.sival_int;
}

/* ---- faults ---- */

static void jump_out(int sig, siginfo_t *si, void *uc) {
  record(sig, si, uc);
  siglongjmp(jump, 1);
}

static void skip_insn(int sig, siginfo_t *si, void *ucv) {
  record(sig, si, ucv);
  ((ucontext_t *)ucv)->uc_mcontext.pc += 4;
}

static char *ro_page;
static void make_writable(int sig, siginfo_t *si, void *uc) {
  record(sig, si, uc);
  mprotect(ro_page, 4096, PROT_READ | PROT_WRITE);
}


static void faults(void) {
  on(SIGSEGV, jump_out, 0);
  volatile int *volatile near_null = (int *)16;
  if (sigsetjmp(jump, 1) == 0) *near_null = 1;
  printf("segv null: sig %d code %d (MAPERR %d) addr==16 %d\n", last_sig, last_code, SEGV_MAPERR, last_addr == 16);

  /* The handler fixes the cause and returns: the store runs again and succeeds. */
  ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  on(SIGSEGV, make_writable, 0);
  count = 0;
  ((volatile char *)ro_page)[100] = 42;
  printf("segv ro: sig %d code %d (ACCERR %d) addr ok %d count %d value %d\n", last_sig, last_code, SEGV_ACCERR,
         last_addr == (uintptr_t)ro_page + 100, count, ro_page[100]);

  /* PROT_NONE is mapped too: ACCERR, not MAPERR. */
  char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  on(SIGSEGV, jump_out, 0);
  if (sigsetjmp(jump, 1) == 0) (void)*(volatile char *)(none + 8);
  printf("segv prot_none: code %d addr ok %d\n", last_code, last_addr == (uintptr_t)none + 8);

  on(SIGILL, skip_insn, 0);
  uintptr_t insn;
  __asm__ volatile("adr %0, 1f\n1: .inst 0x00000000" : "=r"(insn)::"memory");
  /* Linux reports ILL_ILLOPC for an undefined instruction; qemu-user says ILL_ILLOPN. */
  printf("sigill: sig %d code valid %d addr==pc %d pc-insn %ld\n", last_sig, last_code == ILL_ILLOPC || last_code == ILL_ILLOPN,
         last_addr == last_pc, (long)(last_pc - insn));
  if (getenv("SIGNALS_RAW_CODES")) printf("sigill raw code %d\n", last_code);

  on(SIGTRAP, skip_insn, 0);
  __asm__ volatile("adr %0, 1f\n1: brk #0x7" : "=r"(insn)::"memory");
  printf("brk: sig %d code %d (TRAP_BRKPT %d) addr-insn %ld\n", last_sig, last_code, TRAP_BRKPT, (long)(last_addr - insn));
  __asm__ volatile("adr %0, 1f\n1: brk #0x3e8" : "=r"(insn)::"memory"); /* what __builtin_trap emits */
  printf("builtin_trap: sig %d addr-insn %ld\n", last_sig, (long)(last_addr - insn));

  /* An exclusive load must be aligned: SIGBUS BUS_ADRALN at the address. */
  static char buf[32] __attribute__((aligned(16)));
  on(SIGBUS, jump_out, 0);
  if (sigsetjmp(jump, 1) == 0) {
    uint64_t v;
    __asm__ volatile("ldxr %0, [%1]" : "=r"(v) : "r"(buf + 3) : "memory");
  }
  printf("sigbus: sig %d code %d (BUS_ADRALN %d) addr ok %d\n", last_sig, last_code, BUS_ADRALN, last_addr == (uintptr_t)buf + 3);
  signal(SIGSEGV, SIG_DFL);
  signal(SIGILL, SIG_DFL);
  signal(SIGTRAP, SIG_DFL);
  signal(SIGBUS, SIG_DFL);
}

/* ---- sending to self ---- */

static void senders(void) {
  on(SIGUSR1, record, 0);
  raise(SIGUSR1);
  printf("raise: sig %d code %d (SI_TKILL %d) pid ok %d uid ok %d\n", last_sig, last_code, SI_TKILL, last_pid_ok, last_uid_ok);
  kill(getpid(), SIGUSR1);
  printf("kill: code %d (SI_USER %d) pid ok %d\n", last_code, SI_USER, last_pid_ok);
  syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
  printf("tgkill: code %d\n", last_code);
  union sigval v = {.sival_int = 42};
  sigqueue(getpid(), SIGUSR1, v);
  printf("sigqueue: code %d (SI_QUEUE %d) value %ld\n", last_code, SI_QUEUE, last_value);
  printf("kill 0: %d\n", kill(getpid(), 0));
  errno = 0;
  printf("kill bad signal: %d %s\n", kill(getpid(), 65), strerror(errno));
  errno = 0;
  printf("tgkill bad tid: %ld %s\n", syscall(SYS_tgkill, getpid(), 0x7ffffff0, SIGUSR1), strerror(errno));
}

/* ---- masks and pending sets ---- */

static int order[16];
static volatile int norder;
static void log_order(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  if (norder < 16) order[norder++] = sig * 100 + (si->si_code == SI_QUEUE ? si->si_value.sival_int : 0);
}

static void masks(void) {
  sigset_t block, old, pend;
  int rt = SIGRTMIN + 1;
  on(SIGUSR1, log_order, 0);
  on(SIGUSR2, log_order, 0);
  on(rt, log_order, 0);
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGUSR2);
  sigaddset(&block, rt);
  sigprocmask(SIG_BLOCK, &block, &old);
  raise(SIGUSR2);
  raise(SIGUSR1);
  raise(SIGUSR1); /* standard signals coalesce */
  for (int i = 1; i <= 3; i++) sigqueue(getpid(), rt, (union sigval){.sival_int = i}); /* real-time ones queue */
  sigpending(&pend);
  printf("pending: usr1 %d usr2 %d rt %d term %d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2),
         sigismember(&pend, rt), sigismember(&pend, SIGTERM));
  printf("delivered while blocked: %d\n", norder);
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("order after unblock:");
  for (int i = 0; i < norder; i++) printf(" %d", order[i]);
  printf("\n");

  /* SIGKILL and SIGSTOP cannot be blocked. */
  sigset_t all, now;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  sigprocmask(SIG_SETMASK, NULL, &now);
  printf("fill mask: kill %d stop %d usr1 %d\n", sigismember(&now, SIGKILL), sigismember(&now, SIGSTOP), sigismember(&now, SIGUSR1));
  sigprocmask(SIG_SETMASK, &old, NULL);
  errno = 0;
  printf("sigprocmask bad how: %d %s\n", sigprocmask(99, &all, NULL), strerror(errno));
  struct sigaction sa = {0};
  sa.sa_handler = SIG_IGN;
  errno = 0;
  printf("sigaction SIGKILL: %d %s\n", sigaction(SIGKILL, &sa, NULL), strerror(errno));

  /* Ignoring a pending signal discards it. */
  sigprocmask(SIG_BLOCK, &block, &old);
  raise(SIGUSR2);
  signal(SIGUSR2, SIG_IGN);
  sigpending(&pend);
  printf("ignored pending discarded: %d\n", !sigismember(&pend, SIGUSR2));
  sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- handler flags ---- */

static volatile int depth, max_depth, self_blocked, runs;
static void nested(int sig, siginfo_t *si, void *uc) {
  (void)si;
  sigset_t cur;
  sigprocmask(SIG_SETMASK, NULL, &cur);
  self_blocked = sigismember(&cur, sig);
  /* uc_sigmask is the mask to return to: it does not include this signal. */
  if (depth == 0) last_code = sigismember(&((ucontext_t *)uc)->uc_sigmask, sig);
  depth++;
  if (depth > max_depth) max_depth = depth;
  if (++runs < 3) raise(sig); /* nests with SA_NODEFER, runs after this one without */
  depth--;
}

static void flags(void) {
  on(SIGUSR1, nested, 0);
  max_depth = runs = 0;
  raise(SIGUSR1);
  printf("default: self blocked %d uc_sigmask has it %d runs %d max depth %d\n", self_blocked, last_code, runs, max_depth);
  on(SIGUSR1, nested, SA_NODEFER);
  max_depth = runs = 0;
  raise(SIGUSR1);
  printf("SA_NODEFER: self blocked %d runs %d max depth %d\n", self_blocked, runs, max_depth);

  /* sa_mask adds to the mask while the handler runs. */
  struct sigaction sa = {0}, got;
  sa.sa_sigaction = nested;
  sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR2, &sa, NULL);
  max_depth = 0;
  runs = 2;
  raise(SIGUSR2);
  sigaction(SIGUSR2, NULL, &got);
  printf("SA_RESETHAND: ran %d, now default %d\n", max_depth > 0, got.sa_handler == SIG_DFL);
  signal(SIGUSR1, SIG_DFL);
}

/* ---- alternate stack ---- */

static char *alt;
static volatile int on_alt, alt_flags, alt_eperm, alt_aligned;
static void on_stack(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)si;
  char local;
  on_alt = (uintptr_t)&local > (uintptr_t)alt && (uintptr_t)&local < (uintptr_t)alt + SIGSTKSZ;
  alt_aligned = ((uintptr_t)uc & 15) == 0 && ((uintptr_t)si & 15) == 0;
  stack_t cur, next = {.ss_sp = alt, .ss_size = SIGSTKSZ, .ss_flags = 0};
  sigaltstack(NULL, &cur);
  alt_flags = cur.ss_flags;
  errno = 0;
  alt_eperm = sigaltstack(&next, NULL) == -1 && errno == EPERM;
}

static void altstack(void) {
  stack_t ss = {0}, old;
  alt = malloc(SIGSTKSZ);
  sigaltstack(NULL, &old);
  printf("initial altstack: flags %d (SS_DISABLE %d)\n", old.ss_flags, SS_DISABLE);
  ss.ss_size = 100;
  ss.ss_sp = alt;
  errno = 0;
  printf("too small: %d %s\n", sigaltstack(&ss, NULL), strerror(errno));
  ss.ss_size = SIGSTKSZ;
  ss.ss_flags = 99;
  errno = 0;
  printf("bad flags: %d %s\n", sigaltstack(&ss, NULL), strerror(errno));
  ss.ss_flags = 0;
  printf("set: %d\n", sigaltstack(&ss, NULL));
  on(SIGUSR1, on_stack, SA_ONSTACK);
  raise(SIGUSR1);
  printf("SA_ONSTACK: on alt %d flags %d (SS_ONSTACK %d) eperm %d frame aligned %d\n", on_alt, alt_flags, SS_ONSTACK, alt_eperm, alt_aligned);
  sigaltstack(NULL, &old);
  printf("after: flags %d size ok %d\n", old.ss_flags, old.ss_size == (size_t)SIGSTKSZ);
  on(SIGUSR1, on_stack, 0);
  raise(SIGUSR1);
  printf("without SA_ONSTACK: on alt %d\n", on_alt);

  /* SS_AUTODISARM: the stack is disarmed while a handler runs on it, and rearmed by sigreturn.
     qemu-user refuses the flag (EINVAL), so it is only checked on request. */
  ss.ss_flags = SS_AUTODISARM;
  if (getenv("SIGNALS_AUTODISARM")) {
    printf("autodisarm set: %d\n", sigaltstack(&ss, NULL));
    on(SIGUSR1, on_stack, SA_ONSTACK);
    raise(SIGUSR1);
    sigaltstack(NULL, &old);
    printf("autodisarm: on alt %d flags in handler %d eperm %d after %d\n", on_alt, alt_flags, alt_eperm,
         old.ss_flags == (int)SS_AUTODISARM);
  }

  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, NULL);
  sigaltstack(NULL, &old);
  printf("disabled: flags %d\n", old.ss_flags);
  signal(SIGUSR1, SIG_DFL);
}

/* ---- registers survive a handler ---- */

/* FPCR.RMode (bits 23:22), read and written directly so no libm is needed. */
#define RMODE_UP (1UL << 22)
#define RMODE_ZERO (3UL << 22)
static unsigned long get_fpcr(void) {
  unsigned long v;
  __asm__ volatile("mrs %0, fpcr" : "=r"(v));
  return v;
}
static void set_fpcr(unsigned long v) { __asm__ volatile("msr fpcr, %0" ::"r"(v)); }

static volatile int fp_record_ok, round_in_handler;
static void clobber(int sig, siginfo_t *si, void *ucv) {
  (void)sig;
  (void)si;
  ucontext_t *uc = ucv;
  /* The frame's first record is the FP/SIMD state, holding the interrupted v16. */
  struct fpsimd_context *fp = (struct fpsimd_context *)uc->uc_mcontext.__reserved;
  double saved;
  memcpy(&saved, &fp->vregs[16], sizeof saved);
  fp_record_ok = fp->head.magic == FPSIMD_MAGIC && fp->head.size == sizeof *fp && saved == 1.5;
  round_in_handler = get_fpcr() == RMODE_UP;
  set_fpcr(RMODE_ZERO);
  __asm__ volatile("fmov d16, #3.0\n fmov d8, #5.0\n mov x19, #77\n mov x28, #78" ::: "v16", "v8", "x19", "x28");
}

static void registers(void) {
  on(SIGUSR1, clobber, 0);
  set_fpcr(RMODE_UP);
  double v16 = 0, v8 = 0;
  long x19 = 0, x28 = 0;
  long pid = getpid(), tid = gettid();
  __asm__ volatile(
      "fmov d16, #1.5\n fmov d8, #2.5\n mov x19, #11\n mov x28, #12\n"
      "mov x0, %[pid]\n mov x1, %[tid]\n mov x2, #10\n mov x8, #131\n svc #0\n"
      "fmov %d[v16], d16\n fmov %d[v8], d8\n mov %[x19], x19\n mov %[x28], x28\n"
      : [v16] "=w"(v16), [v8] "=w"(v8), [x19] "=r"(x19), [x28] "=r"(x28)
      : [pid] "r"(pid), [tid] "r"(tid)
      : "x0", "x1", "x2", "x8", "x19", "x28", "v8", "v16", "memory");
  printf("registers restored: v16 %g v8 %g x19 %ld x28 %ld fpcr %d record %d handler saw fpcr %d\n", v16, v8, x19, x28,
         get_fpcr() == RMODE_UP, fp_record_ok, round_in_handler);
  set_fpcr(0);
  signal(SIGUSR1, SIG_DFL);
}

/* ---- waiting for signals ---- */

static void tick(int sig, siginfo_t *si, void *uc) { record(sig, si, uc); }

static void waits(void) {
  sigset_t block, old, wait_mask, now;
  on(SIGALRM, tick, 0);
  sigemptyset(&block);
  sigaddset(&block, SIGALRM);
  sigprocmask(SIG_BLOCK, &block, &old);
  struct itimerval it = {.it_value = {0, 20000}};
  setitimer(ITIMER_REAL, &it, NULL);
  sigemptyset(&wait_mask);
  count = 0;
  errno = 0;
  int r = sigsuspend(&wait_mask);
  sigprocmask(SIG_SETMASK, NULL, &now);
  printf("sigsuspend: %d %s ran %d code %d (SI_KERNEL %d) mask restored %d\n", r, strerror(errno), count, last_code, SI_KERNEL,
         sigismember(&now, SIGALRM));

  /* sigtimedwait takes a blocked signal off the queue without running the handler. */
  raise(SIGALRM);
  siginfo_t si;
  count = 0;
  r = sigtimedwait(&block, &si, &(struct timespec){1, 0});
  printf("sigtimedwait pending: %d code %d handler ran %d\n", r, si.si_code, count);
  errno = 0;
  r = sigtimedwait(&block, &si, &(struct timespec){0, 10000000});
  printf("sigtimedwait timeout: %d %s\n", r, strerror(errno));
  setitimer(ITIMER_REAL, &it, NULL);
  r = sigwaitinfo(&block, &si);
  printf("sigwaitinfo timer: %d code %d\n", r, si.si_code);
  sigprocmask(SIG_SETMASK, &old, NULL);

  /* pause returns when a handler has run (the timer is long enough to be sure pause is reached first). */
  struct itimerval later = {.it_value = {0, 100000}};
  setitimer(ITIMER_REAL, &later, NULL);
  count = 0;
  errno = 0;
  r = pause();
  printf("pause: %d %s ran %d\n", r, strerror(errno), count);

  /* A sleep cut short by a handler reports the time left. */
  setitimer(ITIMER_REAL, &later, NULL);
  struct timespec req = {5, 0}, rem = {0, 0};
  errno = 0;
  r = nanosleep(&req, &rem);
  printf("nanosleep interrupted: %d %s rem in (0,5s) %d\n", r, strerror(errno), (rem.tv_sec > 0 || rem.tv_nsec > 0) && rem.tv_sec < 5);
  signal(SIGALRM, SIG_DFL);
}

static void die(const char *mode) {
  if (strcmp(mode, "usr1") == 0) raise(SIGUSR1);
  if (strcmp(mode, "segv-blocked") == 0) {
    sigset_t s;
    on(SIGSEGV, jump_out, 0);
    sigemptyset(&s);
    sigaddset(&s, SIGSEGV);
    sigprocmask(SIG_BLOCK, &s, NULL);
    *(volatile int *)0 = 1;
  }
  if (strcmp(mode, "segv-ignored") == 0) {
    signal(SIGSEGV, SIG_IGN);
    *(volatile int *)0 = 1;
  }
  if (strcmp(mode, "pipe") == 0) {
    int fds[2];
    if (pipe(fds) != 0) return;
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    long n = write(fds[1], "x", 1);
    printf("ignored SIGPIPE: %ld %s\n", n, strerror(errno));
    fflush(stdout);
    signal(SIGPIPE, SIG_DFL);
    n = write(fds[1], "x", 1);
    printf("still alive after EPIPE: %ld\n", n);
  }
  if (strcmp(mode, "ignored") == 0) {
    signal(SIGUSR1, SIG_IGN);
    raise(SIGUSR1);
    raise(SIGCHLD);
    raise(SIGWINCH);
    raise(SIGCONT);
    printf("survived ignored signals\n");
    fflush(stdout);
    exit(7);
  }
  if (strcmp(mode, "resethand") == 0) {
    on(SIGUSR2, tick, SA_RESETHAND);
    raise(SIGUSR2);
    printf("first SIGUSR2 handled: %d\n", last_sig);
    fflush(stdout);
    raise(SIGUSR2);
  }
  if (strcmp(mode, "altstack-overflow") == 0) {
    /* No room for the frame: Linux kills with SIGSEGV instead of running the handler. */
    stack_t ss = {.ss_sp = mmap(NULL, 16384, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), .ss_size = 16384};
    sigaltstack(&ss, NULL);
    on(SIGUSR1, tick, SA_ONSTACK);
    raise(SIGUSR1);
  }
  if (strcmp(mode, "stop") == 0) {
    printf("stopping\n");
    raise(SIGSTOP);
    printf("continued\n");
    exit(0);
  }
  printf("still alive\n");
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1) {
    die(argv[1]);
    return 0;
  }
  faults();
  senders();
  masks();
  flags();
  altstack();
  registers();
  waits();
  printf("done\n");
  return 0;
}
