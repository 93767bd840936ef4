/*
 * futex.c: futex(2) between threads, by raw system calls: the errors
 * (EAGAIN, ETIMEDOUT, EINVAL, ENOSYS, EINTR), how many each wake, requeue
 * and wake-op reaches, bitsets, FUTEX_CLOCK_REALTIME, and the clone flag
 * combinations Linux refuses. It prints results only, so the output under
 * elfuse must equal qemu-aarch64's (which passes futex to the host kernel)
 * byte for byte. Waiters announce themselves and the main thread then
 * sleeps 200 ms, so under qemu's real threads they are asleep in the kernel
 * before a wake.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long futex(atomic_int *uaddr, int op, int val, const struct timespec *ts, atomic_int *uaddr2, int val3) {
  return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static const char *res(long r) {
  static char buf[8][32];
  static int n;
  char *b = buf[n++ % 8];
  if (r < 0) snprintf(b, 32, "-1 %s", strerrorname_np(errno));
  else snprintf(b, 32, "%ld", r);
  return b;
}

struct waiter {
  atomic_int *word;
  int op;
  int bitset;
  long result;
  int err;
  pthread_t thread;
};

static atomic_int arrived;

static void *wait_on(void *arg) {
  struct waiter *w = arg;
  atomic_fetch_add(&arrived, 1);
  w->result = futex(w->word, w->op, 0, NULL, NULL, w->bitset);
  w->err = w->result < 0 ? errno : 0;
  return NULL;
}

static void start(struct waiter *w, int n) {
  atomic_store(&arrived, 0);
  for (int i = 0; i < n; i++) pthread_create(&w[i].thread, NULL, wait_on, &w[i]);
  while (atomic_load(&arrived) < n) sched_yield();
  usleep(200000);
}

static void finish(const char *what, struct waiter *w, int n) {
  printf("%s:", what);
  for (int i = 0; i < n; i++) {
    pthread_join(w[i].thread, NULL);
    printf(" %s", w[i].result < 0 ? strerrorname_np(w[i].err) : "0");
  }
  printf("\n");
}

static void on_usr1(int sig) { (void)sig; }

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  static atomic_int w1, w2, w3;
  struct timespec short_ts = {0, 10 * 1000 * 1000};
  struct timespec bad_ts = {0, 2000000000};

  printf("wait, word differs: %s\n", res(futex(&w1, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0)));
  printf("wait 10 ms: %s\n", res(futex(&w1, FUTEX_WAIT_PRIVATE, 0, &short_ts, NULL, 0)));
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  now.tv_nsec += 10 * 1000 * 1000;
  if (now.tv_nsec >= 1000000000) now.tv_sec++, now.tv_nsec -= 1000000000;
  printf("wait_bitset realtime deadline: %s\n", res(futex(&w1, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &now, NULL, -1)));
  printf("wait_bitset bitset 0: %s\n", res(futex(&w1, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0)));
  printf("wake_bitset bitset 0: %s\n", res(futex(&w1, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0)));
  printf("wait misaligned: %s\n", res(futex((atomic_int *)((char *)&w1 + 1), FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0)));
  printf("wait bad timeout: %s\n", res(futex(&w1, FUTEX_WAIT_PRIVATE, 0, &bad_ts, NULL, 0)));
  printf("wait bad address: %s\n", res(futex((atomic_int *)8, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0)));
  printf("wake no one: %s\n", res(futex(&w1, FUTEX_WAKE_PRIVATE, 5, NULL, NULL, 0)));
  printf("unknown command: %s\n", res(futex(&w1, 99, 0, NULL, NULL, 0)));
  printf("wake with CLOCK_REALTIME: %s\n", res(futex(&w1, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0)));
  printf("cmp_requeue, word differs: %s\n", res(futex(&w1, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &w2, 7)));
  printf("requeue negative count: %s\n", res(futex(&w1, FUTEX_REQUEUE_PRIVATE, -1, (void *)1, &w2, 0)));

  struct waiter w[4];
  memset(w, 0, sizeof w);
  for (int i = 0; i < 3; i++) w[i] = (struct waiter){.word = &w1, .op = FUTEX_WAIT_PRIVATE};
  start(w, 3);
  printf("wake 2 of 3: %s\n", res(futex(&w1, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0)));
  printf("wake the rest: %s\n", res(futex(&w1, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0)));
  finish("waiters", w, 3);

  for (int i = 0; i < 3; i++) w[i] = (struct waiter){.word = &w1, .op = FUTEX_WAIT_PRIVATE};
  start(w, 3);
  printf("cmp_requeue 1+1, word differs: %s\n", res(futex(&w1, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &w2, 5)));
  printf("cmp_requeue 1+1: %s\n", res(futex(&w1, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &w2, 0)));
  printf("wake on the second word: %s\n", res(futex(&w2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0)));
  printf("wake on the first word: %s\n", res(futex(&w1, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0)));
  finish("requeued waiters", w, 3);

  for (int i = 0; i < 3; i++) w[i] = (struct waiter){.word = &w1, .op = FUTEX_WAIT_PRIVATE};
  start(w, 3);
  printf("requeue 0+2: %s\n", res(futex(&w1, FUTEX_REQUEUE_PRIVATE, 0, (void *)2, &w3, 0)));
  printf("wake on the third word: %s\n", res(futex(&w3, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0)));
  printf("wake on the first word: %s\n", res(futex(&w1, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0)));
  finish("requeued waiters", w, 3);

  atomic_store(&w2, 5);
  w[0] = (struct waiter){.word = &w1, .op = FUTEX_WAIT_PRIVATE};
  w[1] = (struct waiter){.word = &w1, .op = FUTEX_WAIT_PRIVATE};
  w[2] = (struct waiter){.word = &w3, .op = FUTEX_WAIT_PRIVATE};
  start(w, 3);
  atomic_store(&w2, 5);
  /* the word at w3 is 0: wake_op adds 1 to it, then wakes one on w1 and, since the old value was 0, one on w3 */
  int op = FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0);
  printf("wake_op: %s, word now %d\n", res(futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &w3, op)), (int)atomic_load(&w3));
  op = FUTEX_OP(FUTEX_OP_OR, 4, FUTEX_OP_CMP_GT, 100);
  printf("wake_op, comparison false: %s, word now %d\n", res(futex(&w1, FUTEX_WAKE_OP_PRIVATE, 0, (void *)1, &w2, op)), (int)atomic_load(&w2));
  printf("wake the rest: %s\n", res(futex(&w1, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0)));
  finish("wake_op waiters", w, 3);
  atomic_store(&w3, 0);

  w[0] = (struct waiter){.word = &w1, .op = FUTEX_WAIT_BITSET_PRIVATE, .bitset = 1};
  w[1] = (struct waiter){.word = &w1, .op = FUTEX_WAIT_BITSET_PRIVATE, .bitset = 2};
  w[2] = (struct waiter){.word = &w1, .op = FUTEX_WAIT_BITSET_PRIVATE, .bitset = 6};
  start(w, 3);
  printf("wake_bitset 2: %s\n", res(futex(&w1, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 2)));
  printf("wake_bitset 8: %s\n", res(futex(&w1, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 8)));
  printf("wake: %s\n", res(futex(&w1, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0)));
  finish("bitset waiters", w, 3);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  w[0] = (struct waiter){.word = &w1, .op = FUTEX_WAIT_PRIVATE};
  start(w, 1);
  printf("tgkill the waiter: %s\n", res(pthread_kill(w[0].thread, SIGUSR1) == 0 ? 0 : -1));
  finish("interrupted waiter", w, 1);

  /* clone's flag rules (copy_process): the call fails before any thread exists. */
  printf("clone THREAD without SIGHAND: %s\n", res(syscall(SYS_clone, CLONE_THREAD | CLONE_VM, 0, 0, 0, 0)));
  printf("clone SIGHAND without VM: %s\n", res(syscall(SYS_clone, CLONE_SIGHAND, 0, 0, 0, 0)));
  printf("gettid of main is pid: %s\n", syscall(SYS_gettid) == getpid() ? "yes" : "no");
  return 0;
}
