/*
 * thread-signals.c: signals and threads. The mask is per thread; a signal
 * sent to the process goes to a thread that does not block it, or to one
 * waiting for it in sigwait; tgkill reaches one thread; a fault is
 * delivered to the thread that faulted; a new thread starts without its
 * creator's alternate stack. Results only, compared with qemu-aarch64.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pid_t tid(void) { return (pid_t)syscall(SYS_gettid); }

static volatile pid_t handled_on;
static atomic_int ready;
static pid_t worker_tid;

static void on_usr2(int sig) {
  (void)sig;
  handled_on = tid();
}

/* 1. The worker leaves SIGUSR2 unblocked; main blocks it; kill(getpid()) must run the handler on the worker. */
static void *unblocked_worker(void *arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  worker_tid = tid();
  atomic_store(&ready, 1);
  while (!handled_on) usleep(1000);
  return NULL;
}

/* 2. Every thread blocks SIGUSR1; the worker waits for it with sigwait. */
static int waited;
static void *sigwait_worker(void *arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  atomic_store(&ready, 1);
  sigwait(&s, &waited);
  return NULL;
}

/* 3. A fault in a thread runs the SIGSEGV handler on that thread. */
static __thread sigjmp_buf jump;
static volatile pid_t fault_on;
static void on_segv(int sig) {
  (void)sig;
  fault_on = tid();
  siglongjmp(jump, 1);
}
static void *faulting(void *arg) {
  (void)arg;
  worker_tid = tid();
  volatile int *volatile bad = (volatile int *)16;
  if (sigsetjmp(jump, 1) == 0) *bad = 1;
  return (void *)1;
}

/* 4. Masks and alternate stacks are per thread. */
static void *mask_and_stack(void *arg) {
  (void)arg;
  sigset_t cur;
  pthread_sigmask(SIG_SETMASK, NULL, &cur);
  int inherited = sigismember(&cur, SIGUSR1);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  stack_t ss;
  sigaltstack(NULL, &ss);
  return (void *)(long)(inherited * 10 + ((ss.ss_flags & SS_DISABLE) ? 1 : 0));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr2;
  sigaction(SIGUSR2, &sa, NULL);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  pthread_t t;
  pthread_create(&t, NULL, unblocked_worker, NULL);
  while (!atomic_load(&ready)) usleep(1000);
  kill(getpid(), SIGUSR2);
  pthread_join(t, NULL);
  printf("1 process signal handled by the thread that does not block it: %s\n", handled_on == worker_tid ? "yes" : "no");
  sigset_t pend;
  sigpending(&pend);
  printf("1 still pending in main: %s\n", sigismember(&pend, SIGUSR2) ? "yes" : "no");

  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  atomic_store(&ready, 0);
  pthread_create(&t, NULL, sigwait_worker, NULL);
  while (!atomic_load(&ready)) usleep(1000);
  usleep(200000);
  kill(getpid(), SIGUSR1);
  pthread_join(t, NULL);
  printf("2 sigwait in a thread took the process's signal: %d\n", waited);

  /* A process signal everyone blocks stays pending, and whoever unblocks it gets it. */
  handled_on = 0;
  kill(getpid(), SIGUSR2);
  printf("3 blocked everywhere, pending: ");
  sigpending(&pend);
  printf("%s\n", sigismember(&pend, SIGUSR2) ? "yes" : "no");
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  printf("3 handled by main after it unblocked: %s\n", handled_on == tid() ? "yes" : "no");

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_segv;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  void *r;
  pthread_create(&t, NULL, faulting, NULL);
  pthread_join(t, &r);
  printf("4 fault handled on the faulting thread: %s, not main: %s\n", fault_on == worker_tid ? "yes" : "no", fault_on != tid() ? "yes" : "no");

  static char altstack[65536];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  pthread_create(&t, NULL, mask_and_stack, NULL);
  pthread_join(t, &r);
  sigset_t cur;
  pthread_sigmask(SIG_SETMASK, NULL, &cur);
  stack_t mine;
  sigaltstack(NULL, &mine);
  printf("5 thread inherited the mask %ld, its altstack disabled %ld; main's SIGTERM blocked %d, main's altstack on %d\n", (long)r / 10,
         (long)r % 10, sigismember(&cur, SIGTERM), !(mine.ss_flags & SS_DISABLE));

  /* 6. tgkill of a thread that has exited: ESRCH (after a pause: a kernel clears the joined-on tid
     word a moment before the thread is gone). */
  pthread_create(&t, NULL, faulting, NULL);
  pthread_join(t, NULL);
  usleep(100000);
  long k = syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR2);
  printf("6 tgkill of an ended thread: %ld\n", k);
  return 0;
}
