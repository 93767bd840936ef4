/*
 * shared-pending.c: the process-wide pending set. Process-directed signals
 * that every thread blocks stay pending for the process: every thread sees
 * them in sigpending and /proc/<pid>/task/<tid>/status ShdPnd, a standard
 * one coalesces whichever thread was asked, and the first thread that
 * unblocks, waits for one or reads it from a signalfd takes it. The reference is this source built
 * natively and run on the host kernel.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_int step, handled;
static pid_t handler_tid, b_tid;
static void on_usr1(int sig) {
  (void)sig;
  atomic_fetch_add(&handled, 1);
  handler_tid = (pid_t)syscall(SYS_gettid);
}
static void wait_step(int n) {
  while (atomic_load(&step) < n) usleep(1000);
}

static const char *pending(void) {
  static char buf[2][64];
  static int i;
  char *b = buf[i++ % 2];
  sigset_t s;
  sigpending(&s);
  snprintf(b, 64, "USR1 %d USR2 %d RTMIN %d", sigismember(&s, SIGUSR1), sigismember(&s, SIGUSR2), sigismember(&s, SIGRTMIN));
  return b;
}
static void shdpnd(const char *who, pid_t tid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
  FILE *f = fopen(path, "r");
  if (!f) return;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "ShdPnd:", 7) || !strncmp(line, "SigPnd:", 7)) printf("%s %s", who, line);
  fclose(f);
}

static void *thread_b(void *arg) {
  (void)arg;
  b_tid = (pid_t)syscall(SYS_gettid);
  atomic_store(&step, 1);
  wait_step(2);
  printf("B sees pending: %s\n", pending());
  shdpnd("B", b_tid);
  /* B unblocks SIGUSR1: it takes the process's one pending SIGUSR1 */
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  printf("B after unblocking: handled %d by B %s\n", atomic_load(&handled), handler_tid == b_tid ? "yes" : "no");
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  /* B waits for the first queued SIGRTMIN */
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN);
  siginfo_t si;
  int sig = sigwaitinfo(&s, &si);
  printf("B sigwaitinfo: %s value %d\n", sig == SIGRTMIN ? "SIGRTMIN" : "other", si.si_value.sival_int);
  atomic_store(&step, 3);
  wait_step(4);
  return NULL;
}

/* A thread that reads a signalfd takes a process signal another thread holds. */
static void *reader(void *arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  int fd = signalfd(-1, &s, 0);
  atomic_store(&step, 5);
  struct signalfd_siginfo si;
  ssize_t n = read(fd, &si, sizeof si);
  printf("C signalfd read: %s signo %s\n", n == sizeof si ? "one" : "none", si.ssi_signo == SIGUSR2 ? "SIGUSR2" : "other");
  close(fd);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t all;
  sigemptyset(&all);
  sigaddset(&all, SIGUSR1);
  sigaddset(&all, SIGUSR2);
  sigaddset(&all, SIGRTMIN);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  pthread_t b;
  pthread_create(&b, NULL, thread_b, NULL);
  wait_step(1);

  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGUSR1); /* coalesces with the first */
  union sigval v;
  v.sival_int = 1;
  sigqueue(getpid(), SIGRTMIN, v);
  v.sival_int = 2;
  sigqueue(getpid(), SIGRTMIN, v);
  syscall(SYS_tgkill, getpid(), b_tid, SIGUSR2); /* B's own */
  printf("main sees pending: %s\n", pending());
  shdpnd("main", (pid_t)syscall(SYS_gettid));
  atomic_store(&step, 2);
  wait_step(3);
  printf("main sees pending after B: %s\n", pending());
  siginfo_t si;
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN);
  int sig = sigwaitinfo(&rt, &si);
  printf("main sigwaitinfo: %s value %d\n", sig == SIGRTMIN ? "SIGRTMIN" : "other", si.si_value.sival_int);
  printf("main sees pending at the end: %s, handled %d\n", pending(), atomic_load(&handled));
  atomic_store(&step, 4);
  pthread_join(b, NULL);

  pthread_t c;
  pthread_create(&c, NULL, reader, NULL);
  wait_step(5);
  usleep(200000); /* C sleeps in read meanwhile */
  kill(getpid(), SIGUSR2);
  pthread_join(c, NULL);
  printf("main sees pending after C: %s\n", pending());
  return 0;
}
