/*
 * shared-futex.c: futexes in MAP_SHARED anonymous memory between a process
 * and its fork child (each a host process of its own under elfuse): a raw
 * FUTEX_WAIT woken by the other process, process-shared pthread mutexes
 * and condition variables, and a robust process-shared mutex whose owner
 * process ends holding it (its robust list is walked at exit_group). The
 * reference is this source built natively and run on the host kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
  _Atomic uint32_t word;
  _Atomic uint32_t ready;
  pthread_mutex_t m;
  pthread_cond_t c;
  long counter;
  int turn;
  pthread_mutex_t robust;
};

static long fx(_Atomic uint32_t *u, int op, uint32_t val, const struct timespec *ts) {
  long r = syscall(SYS_futex, u, op, val, ts, NULL, 0);
  return r < 0 ? -errno : r;
}
static const char *res(long r) { return r < 0 ? strerrorname_np((int)-r) : r == 0 ? "0" : "woke some"; }
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) return 1;
  struct timespec five = {5, 0};

  /* the parent waits, the child changes the word and wakes it */
  pid_t pid = fork();
  if (pid == 0) {
    usleep(200000);
    atomic_store(&s->word, 1);
    long n = fx(&s->word, FUTEX_WAKE, 1, NULL);
    _exit(n >= 0 ? 0 : 10);
  }
  double t0 = now();
  long r = fx(&s->word, FUTEX_WAIT, 0, &five);
  int st;
  waitpid(pid, &st, 0);
  printf("parent's wait, child wakes: %s, before the timeout: %s\n", res(r), now() - t0 < 4 ? "yes" : "no");
  /* Not the count: elfuse's wake does not count the waiters of other processes. */
  printf("child's wake: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "no error" : "error");

  /* the child waits, the parent changes the word and wakes it */
  atomic_store(&s->word, 0);
  pid = fork();
  if (pid == 0) {
    atomic_store(&s->ready, 1);
    double c0 = now();
    long cr = fx(&s->word, FUTEX_WAIT, 0, &five);
    _exit(cr == 0 && now() - c0 < 4 ? 0 : cr == -ETIMEDOUT ? 2 : 3);
  }
  while (!atomic_load(&s->ready)) usleep(1000);
  usleep(200000);
  atomic_store(&s->word, 1);
  fx(&s->word, FUTEX_WAKE, 1, NULL);
  waitpid(pid, &st, 0);
  printf("child's wait, parent wakes: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "0 before the timeout" : WEXITSTATUS(st) == 2 ? "ETIMEDOUT" : "other");

  /* a wait with a timeout and no waker times out */
  struct timespec short_ = {0, 50000000};
  printf("wait without a waker: %s\n", res(fx(&s->word, FUTEX_WAIT, 1, &short_)));

  /* process-shared mutex and condition variable: the two take turns */
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&s->m, &ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_cond_init(&s->c, &ca);
  s->counter = 0;
  s->turn = 0;
  pid = fork();
  int me = pid == 0 ? 1 : 0;
  for (int i = 0; i < 50; i++) {
    pthread_mutex_lock(&s->m);
    while (s->turn != me) pthread_cond_wait(&s->c, &s->m);
    s->counter++;
    s->turn = 1 - me;
    pthread_cond_broadcast(&s->c);
    pthread_mutex_unlock(&s->m);
  }
  if (pid == 0) _exit(0);
  waitpid(pid, &st, 0);
  printf("pshared mutex and condvar ping-pong: counter %ld (expect 100)\n", s->counter);

  /* a robust process-shared mutex whose owner process ends holding it */
  pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&s->robust, &ma);
  atomic_store(&s->ready, 0);
  pid = fork();
  if (pid == 0) {
    pthread_mutex_lock(&s->robust);
    atomic_store(&s->ready, 1);
    usleep(200000);
    exit(0); /* exit_group holding the lock */
  }
  while (!atomic_load(&s->ready)) usleep(1000);
  int e = pthread_mutex_lock(&s->robust); /* blocks until the owner's process ends */
  printf("robust pshared lock, owner process ended while waiting: %s\n", e ? strerrorname_np(e) : "0");
  pthread_mutex_consistent(&s->robust);
  pthread_mutex_unlock(&s->robust);
  waitpid(pid, &st, 0);

  atomic_store(&s->ready, 0);
  pid = fork();
  if (pid == 0) {
    pthread_mutex_lock(&s->robust);
    exit(0);
  }
  waitpid(pid, &st, 0);
  e = pthread_mutex_lock(&s->robust);
  printf("robust pshared lock after the owner process ended: %s\n", e ? strerrorname_np(e) : "0");
  return 0;
}
