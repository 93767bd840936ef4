/*
 * futex-waitv.c: futex_waitv(2) by raw system calls: the checks of its
 * arguments in the kernel's order (flags, count, timeout, each entry, then
 * every key before any value), EAGAIN, ETIMEDOUT on either clock, the index
 * of the word a FUTEX_WAKE reached (private and shared, up to 128 words),
 * EINTR and a restart under SA_RESTART, and a wake from another process on
 * MAP_SHARED memory. It prints results only, so the output under elfuse
 * must equal the same source built with gcc on this machine's kernel. A
 * waker wakes until a wake reaches someone, so no output depends on timing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
/* The futex2 flags (include/uapi/linux/futex.h; older headers name only FUTEX_32). */
#define FUTEX2_SIZE_U8 0x00
#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_SIZE_U64 0x03
#define FUTEX2_PRIVATE FUTEX_PRIVATE_FLAG

static long waitv(struct futex_waitv *w, unsigned n, unsigned flags, struct timespec *ts, int clock) {
  return syscall(SYS_futex_waitv, w, n, flags, ts, clock);
}

static long wake(uint32_t *word, int private) {
  return syscall(SYS_futex, word, FUTEX_WAKE | (private ? FUTEX_PRIVATE_FLAG : 0), 1, NULL, NULL, 0);
}

static void show(const char *label, long r) {
  if (r < 0) printf("%s: -1 %s\n", label, strerrorname_np(errno));
  else printf("%s: %ld\n", label, r);
  fflush(stdout);
}

static uint32_t words[128] __attribute__((aligned(8)));
static struct futex_waitv vec[128];

static void fill(int n, int private) {
  for (int i = 0; i < n; i++) {
    words[i] = 7;
    vec[i] = (struct futex_waitv){.val = 7, .uaddr = (uintptr_t)&words[i], .flags = FUTEX2_SIZE_U32 | (private ? FUTEX2_PRIVATE : 0)};
  }
}

static struct timespec in_ms(int clock, long ms) {
  struct timespec t;
  clock_gettime(clock, &t);
  t.tv_nsec += ms * 1000000L;
  t.tv_sec += t.tv_nsec / 1000000000L;
  t.tv_nsec %= 1000000000L;
  return t;
}

static void checks(void) {
  struct timespec past = {0, 0};
  fill(4, 1);
  show("flags 1", waitv(vec, 4, 1, NULL, 0));
  show("count 0", waitv(vec, 0, 0, NULL, 0));
  show("count 129", waitv(vec, 129, 0, NULL, 0));
  show("NULL vector", waitv(NULL, 1, 0, NULL, 0));
  show("bad vector", waitv((struct futex_waitv *)8, 1, 0, NULL, 0));
  show("clock 2 with a timeout", waitv(vec, 4, 0, &past, CLOCK_PROCESS_CPUTIME_ID));
  words[0] = 8;
  show("clock 2 without a timeout (word differs)", waitv(vec, 4, 0, NULL, CLOCK_PROCESS_CPUTIME_ID));
  words[0] = 7;
  show("bad timeout pointer", waitv(vec, 4, 0, (struct timespec *)8, CLOCK_MONOTONIC));
  struct timespec bad = {0, 1000000000L};
  show("tv_nsec 1e9", waitv(vec, 4, 0, &bad, CLOCK_MONOTONIC));
  struct timespec neg = {-1, 0};
  show("negative tv_sec", waitv(vec, 4, 0, &neg, CLOCK_MONOTONIC));
  show("timeout in the past", waitv(vec, 4, 0, &past, CLOCK_MONOTONIC));

  vec[1].flags = FUTEX2_SIZE_U8;
  show("entry 1 FUTEX2_SIZE_U8", waitv(vec, 4, 0, NULL, 0));
  vec[1].flags = FUTEX2_SIZE_U64;
  show("entry 1 FUTEX2_SIZE_U64", waitv(vec, 4, 0, NULL, 0));
  vec[1].flags = FUTEX2_SIZE_U32 | 0x100;
  show("entry 1 unknown flag", waitv(vec, 4, 0, NULL, 0));
  vec[1].flags = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE;
  vec[1].__reserved = 1;
  show("entry 1 reserved", waitv(vec, 4, 0, NULL, 0));
  vec[1].__reserved = 0;
  vec[1].val = 1ULL << 32;
  show("entry 1 value over 32 bits", waitv(vec, 4, 0, NULL, 0));
  vec[1].val = 7;
  vec[2].uaddr += 1;
  words[0] = 8;
  show("entry 2 misaligned, entry 0 differs", waitv(vec, 4, 0, NULL, 0));
  words[0] = 7;
  vec[2].uaddr -= 1;
  vec[3].uaddr = 1ULL << 48;
  show("entry 3 beyond the address space", waitv(vec, 4, 0, NULL, 0));
  vec[3].uaddr = (1ULL << 48) + 2;
  show("entry 3 beyond the address space, misaligned", waitv(vec, 4, 0, NULL, 0));
  vec[3].uaddr = 0;
  show("entry 3 NULL", waitv(vec, 4, 0, NULL, 0));
  vec[3].uaddr = (uintptr_t)&words[3];
  words[2] = 9;
  show("entry 2 differs", waitv(vec, 4, 0, NULL, 0));
  words[2] = 7;
  struct timespec soon = in_ms(CLOCK_MONOTONIC, 30);
  show("monotonic 30 ms", waitv(vec, 4, 0, &soon, CLOCK_MONOTONIC));
  soon = in_ms(CLOCK_REALTIME, 30);
  show("realtime 30 ms", waitv(vec, 4, 0, &soon, CLOCK_REALTIME));
  fill(4, 0);
  vec[2].uaddr = (uintptr_t)&words[2] + 1;
  show("shared entry 2 misaligned", waitv(vec, 4, 0, NULL, 0));
}

struct job {
  int n;
  atomic_int started;
  long result;
  int err;
};

static void *waiter(void *arg) {
  struct job *j = arg;
  atomic_store(&j->started, 1);
  j->result = waitv(vec, j->n, 0, NULL, 0);
  j->err = j->result < 0 ? errno : 0;
  return NULL;
}

/** Waits on `n` words in a thread, then wakes word `which` until a wake reaches it. */
static void wake_one_of(int n, int which, int private) {
  struct job j = {.n = n};
  pthread_t t;
  fill(n, private);
  pthread_create(&t, NULL, waiter, &j);
  while (!atomic_load(&j.started)) sched_yield();
  long woken = 0;
  int tries = 0;
  while ((woken = wake(&words[which], private)) == 0) {
    usleep(1000);
    tries++;
  }
  pthread_join(t, NULL);
  printf("%d %s words, wake %d: woke %ld, waitv returned %ld%s%s\n", n, private ? "private" : "shared", which, woken, j.result,
         j.result < 0 ? " " : "", j.result < 0 ? strerrorname_np(j.err) : "");
  // Nobody waits any more.
  printf("  a second wake of %d: %ld\n", which, wake(&words[which], private));
  fflush(stdout);
}

static void on_usr1(int sig) { (void)sig; }

static void interrupted(int restart) {
  struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0};
  sigaction(SIGUSR1, &sa, NULL);
  struct job j = {.n = 3};
  pthread_t t;
  fill(3, 1);
  pthread_create(&t, NULL, waiter, &j);
  while (!atomic_load(&j.started)) sched_yield();
  usleep(100000);
  pthread_kill(t, SIGUSR1);
  if (restart) {
    usleep(100000);
    while (wake(&words[2], 1) == 0) usleep(1000);
  }
  pthread_join(t, NULL);
  if (j.result < 0) printf("signal, SA_RESTART %d: -1 %s\n", restart, strerrorname_np(j.err));
  else printf("signal, SA_RESTART %d: %ld\n", restart, j.result);
  fflush(stdout);
}

/** Another process changes a word of MAP_SHARED memory and wakes it. */
static void across_fork(void) {
  uint32_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  struct futex_waitv v[2] = {
      {.val = 0, .uaddr = (uintptr_t)&shared[0], .flags = FUTEX2_SIZE_U32},
      {.val = 0, .uaddr = (uintptr_t)&shared[1], .flags = FUTEX2_SIZE_U32},
  };
  pid_t pid = fork();
  if (pid == 0) {
    usleep(100000);
    __atomic_store_n(&shared[1], 1, __ATOMIC_SEQ_CST);
    wake(&shared[1], 0);
    _exit(0);
  }
  struct timespec limit = in_ms(CLOCK_MONOTONIC, 10000);
  long r = waitv(v, 2, 0, &limit, CLOCK_MONOTONIC);
  int status;
  waitpid(pid, &status, 0);
  show("shared word woken from a child process", r);
}

int main(void) {
  checks();
  wake_one_of(3, 1, 1);
  wake_one_of(3, 0, 0);
  wake_one_of(128, 127, 1);
  wake_one_of(1, 0, 1);
  interrupted(0);
  interrupted(1);
  across_fork();
  return 0;
}
