/*
 * pi.c: priority-inheritance futexes. glibc's PTHREAD_PRIO_INHERIT mutexes
 * (FUTEX_LOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_UNLOCK_PI; robust ones too), then
 * the raw commands and their edges: the owner's tid in the word,
 * FUTEX_WAITERS, FUTEX_OWNER_DIED, EDEADLK, EPERM, ESRCH, the timeouts of
 * FUTEX_LOCK_PI (CLOCK_REALTIME) and FUTEX_LOCK_PI2, a lock handed on when
 * its owner dies, a chain of owners waiting on each other, a signal during
 * the wait, FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI. The reference
 * is this source built natively and run on the host kernel; the output
 * must be equal byte for byte (words are printed by owner name, not tid).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif

#define SETTLE 200000 /* µs for a thread to fall asleep in the kernel */

static const char *ename(int e) { return e ? strerrorname_np(e) : "0"; }
static long fx(_Atomic uint32_t *u, int op, uint32_t val, const void *ts, _Atomic uint32_t *u2, uint32_t val3) {
  long r = syscall(SYS_futex, u, op, val, ts, u2, val3);
  return r < 0 ? -errno : r;
}
static const char *res(long r) {
  static char buf[8][32];
  static int i;
  char *b = buf[i++ % 8];
  if (r < 0) snprintf(b, 32, "%s", strerrorname_np((int)-r));
  else snprintf(b, 32, "%ld", r);
  return b;
}
static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

/* Owners by name, so the output does not depend on tids. */
static pid_t tids[8];
static const char *names[8] = {"main", "T", "U", "W1", "W2"};
static void me(int i) { tids[i] = gettid_(); }
static const char *word(uint32_t v) {
  static char buf[4][64];
  static int i;
  char *b = buf[i++ % 4];
  uint32_t tid = v & FUTEX_TID_MASK;
  const char *who = "?";
  char num[16];
  if (tid == 0) who = "0";
  else if (tid == 0x3ffffff0) who = "bogus";
  else {
    for (int k = 0; k < 8; k++)
      if (tids[k] == (pid_t)tid) who = names[k];
    if (!strcmp(who, "?")) {
      snprintf(num, sizeof num, "tid?");
      who = num;
    }
  }
  snprintf(b, 64, "%s%s%s", who, v & FUTEX_WAITERS ? "|WAITERS" : "", v & FUTEX_OWNER_DIED ? "|OWNER_DIED" : "");
  return b;
}

/* The call first, then the word it left (printf's arguments have no order). */
#define SHOW(label, call, w)                                 \
  do {                                                       \
    long r_ = (call);                                        \
    printf("%s: %s word %s\n", label, res(r_), word(w));     \
  } while (0)

static struct timespec after(clockid_t c, long ms) {
  struct timespec t;
  clock_gettime(c, &t);
  t.tv_nsec += (ms % 1000) * 1000000L;
  t.tv_sec += ms / 1000 + t.tv_nsec / 1000000000L;
  t.tv_nsec %= 1000000000L;
  return t;
}

static _Atomic uint32_t fw, fw2, cw;
static atomic_int step;
static void wait_step(int n) {
  while (atomic_load(&step) < n) usleep(1000);
}

/* --- glibc PI mutexes --- */
static pthread_mutex_t pm;
static long counter;
static void *inc(void *arg) {
  (void)arg;
  for (int i = 0; i < 2000; i++) {
    pthread_mutex_lock(&pm);
    long c = counter;
    if (i % 64 == 0) sched_yield();
    counter = c + 1;
    pthread_mutex_unlock(&pm);
  }
  return NULL;
}
static void *hold_pm(void *arg) {
  (void)arg;
  me(1);
  pthread_mutex_lock(&pm);
  atomic_store(&step, 1);
  wait_step(2);
  pthread_mutex_unlock(&pm);
  return NULL;
}
static void *die_holding(void *arg) {
  (void)arg;
  me(1);
  pthread_mutex_lock(&pm);
  atomic_store(&step, 1);
  usleep(SETTLE); /* main blocks in FUTEX_LOCK_PI meanwhile */
  return NULL;    /* ends holding the robust lock */
}

/* --- raw commands --- */
static long t_unlock;
static void *hold_fw(void *arg) {
  (void)arg;
  me(1);
  SHOW("T trylock free", fx(&fw, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), fw);
  atomic_store(&step, 1);
  wait_step(2);
  usleep(SETTLE);
  t_unlock = fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0); /* printed by main after the join */
  return NULL;
}
static void *lock_fw_and_exit(void *arg) {
  (void)arg;
  me(1);
  fx(&fw, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  atomic_store(&step, 1);
  usleep(SETTLE);
  return NULL; /* ends holding fw, no robust list entry */
}
static long u_lock;
static uint32_t u_word;
static void *u_locks_fw(void *arg) {
  (void)arg;
  me(2);
  long r = fx(&fw, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  u_lock = r;
  u_word = fw;
  fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
  return NULL;
}
static void *chain(void *arg) {
  (void)arg;
  me(1);
  fx(&fw, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  atomic_store(&step, 1);
  wait_step(2);
  long r = fx(&fw2, FUTEX_LOCK_PI, 0, NULL, NULL, 0); /* main holds fw2 */
  printf("T lock of main's lock, once free: %s word %s\n", res(r), word(fw2));
  fx(&fw2, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
  fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
  return NULL;
}
static pid_t main_tid;
static void *signal_main(void *arg) {
  (void)arg;
  me(1);
  fx(&fw, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  atomic_store(&step, 1);
  usleep(SETTLE);
  syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
  usleep(SETTLE);
  fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
  return NULL;
}
static atomic_int handled;
static void on_usr1(int sig) {
  (void)sig;
  atomic_fetch_add(&handled, 1);
}

static atomic_int order;
static void *requeue_waiter(void *arg) {
  int i = (int)(intptr_t)arg;
  me(i);
  long r = fx(&cw, FUTEX_WAIT_REQUEUE_PI, 0, NULL, &fw, 0);
  int n = atomic_fetch_add(&order, 1);
  printf("%s wait_requeue_pi: %s, owner %d: word %s\n", names[i], res(r), n + 1, word(fw));
  if (r == 0) usleep(50000), fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  me(0);
  main_tid = tids[0];
  pthread_t t, u, w1, w2;

  /* glibc's PTHREAD_PRIO_INHERIT mutexes */
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&pm, &a);
  pthread_t th[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, inc, NULL);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  printf("pi mutex counter: %ld (expect 8000)\n", counter);
  pthread_mutex_lock(&pm);
  printf("pi mutex word while locked: %s\n", word(*(uint32_t *)&pm));
  printf("errorcheck relock: %s\n", ename(pthread_mutex_lock(&pm)));
  pthread_mutex_unlock(&pm);
  printf("pi mutex word unlocked: %s\n", word(*(uint32_t *)&pm));
  atomic_store(&step, 0);
  pthread_create(&t, NULL, hold_pm, NULL);
  wait_step(1);
  printf("trylock of a held pi mutex: %s\n", ename(pthread_mutex_trylock(&pm)));
  struct timespec ts = after(CLOCK_REALTIME, 50);
  printf("timedlock of a held pi mutex: %s\n", ename(pthread_mutex_timedlock(&pm, &ts)));
  ts = after(CLOCK_MONOTONIC, 50);
  printf("clocklock (monotonic) of a held pi mutex: %s\n", ename(pthread_mutex_clocklock(&pm, CLOCK_MONOTONIC, &ts)));
  printf("unlock of another thread's pi mutex: %s\n", ename(pthread_mutex_unlock(&pm)));
  atomic_store(&step, 2);
  pthread_join(t, NULL);
  pthread_mutex_destroy(&pm);

  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&pm, &a);
  atomic_store(&step, 0);
  pthread_create(&t, NULL, die_holding, NULL);
  wait_step(1);
  int e = pthread_mutex_lock(&pm); /* blocks until the owner dies */
  printf("robust pi lock, owner died while waiting: %s word %s\n", ename(e), word(*(uint32_t *)&pm));
  pthread_join(t, NULL);
  e = pthread_mutex_consistent(&pm);
  printf("consistent: %s", ename(e));
  printf(" unlock: %s\n", ename(pthread_mutex_unlock(&pm)));
  printf("word after: %s\n", word(*(uint32_t *)&pm));

  /* raw commands on a free word */
  SHOW("trylock free", fx(&fw, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), fw);
  printf("lock own: %s\n", res(fx(&fw, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
  printf("trylock own: %s\n", res(fx(&fw, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0)));
  printf("lock_pi2 own: %s\n", res(fx(&fw, FUTEX_LOCK_PI2, 0, NULL, NULL, 0)));
  SHOW("unlock", fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), fw);
  printf("unlock free: %s\n", res(fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
  SHOW("lock_pi private", fx(&fw, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), fw);
  SHOW("unlock private", fx(&fw, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), fw);
  printf("lock_pi with FUTEX_CLOCK_REALTIME: %s\n", res(fx(&fw, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0)));
  printf("trylock_pi with FUTEX_CLOCK_REALTIME: %s\n", res(fx(&fw, FUTEX_TRYLOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0)));
  printf("unlock_pi with FUTEX_CLOCK_REALTIME: %s\n", res(fx(&fw, FUTEX_UNLOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0)));
  printf("lock_pi misaligned: %s\n", res(fx((_Atomic uint32_t *)((char *)&fw + 1), FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
  printf("unlock_pi misaligned: %s\n", res(fx((_Atomic uint32_t *)((char *)&fw + 1), FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
  printf("lock_pi unmapped: %s\n", res(fx((_Atomic uint32_t *)16, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));

  fw = FUTEX_OWNER_DIED;
  SHOW("lock owner-died word", fx(&fw, FUTEX_LOCK_PI, 0, NULL, NULL, 0), fw);
  SHOW("unlock", fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), fw);
  fw = FUTEX_OWNER_DIED | FUTEX_WAITERS;
  SHOW("trylock owner-died|waiters word", fx(&fw, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), fw);
  fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);

  fw = 0x3ffffff0;
  SHOW("lock bogus owner", fx(&fw, FUTEX_LOCK_PI, 0, NULL, NULL, 0), fw);
  fw = 0x3ffffff0;
  SHOW("trylock bogus owner", fx(&fw, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), fw);
  SHOW("unlock bogus owner", fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), fw);
  fw = 0;

  /* another thread holds the word */
  atomic_store(&step, 0);
  pthread_create(&t, NULL, hold_fw, NULL);
  wait_step(1);
  ts = after(CLOCK_REALTIME, 50);
  SHOW("lock_pi held, realtime deadline", fx(&fw, FUTEX_LOCK_PI, 0, &ts, NULL, 0), fw);
  ts = after(CLOCK_MONOTONIC, 50);
  printf("lock_pi2 held, monotonic deadline: %s\n", res(fx(&fw, FUTEX_LOCK_PI2, 0, &ts, NULL, 0)));
  ts = after(CLOCK_REALTIME, 50);
  printf("lock_pi2|CLOCK_REALTIME held, realtime deadline: %s\n", res(fx(&fw, FUTEX_LOCK_PI2 | FUTEX_CLOCK_REALTIME, 0, &ts, NULL, 0)));
  ts = after(CLOCK_MONOTONIC, 0);
  ts.tv_sec -= 1;
  printf("lock_pi2 held, deadline passed: %s\n", res(fx(&fw, FUTEX_LOCK_PI2, 0, &ts, NULL, 0)));
  struct timespec bad = {0, 1000000000L};
  printf("lock_pi held, bad timespec: %s\n", res(fx(&fw, FUTEX_LOCK_PI, 0, &bad, NULL, 0)));
  SHOW("trylock held", fx(&fw, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), fw);
  printf("unlock of T's lock: %s\n", res(fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
  printf("wake on a pi word without waiters: %s\n", res(fx(&fw, FUTEX_WAKE, 1, NULL, NULL, 0)));
  atomic_store(&step, 2);
  long r = fx(&fw, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  printf("lock_pi held, until T unlocks: %s word %s\n", res(r), word(fw));
  pthread_join(t, NULL);
  printf("T unlock with a waiter: %s\n", res(t_unlock));
  SHOW("unlock, no waiter left", fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), fw);

  /* a waiter behind a waiter; a plain wake meets a PI waiter */
  atomic_store(&step, 0);
  pthread_create(&t, NULL, hold_fw, NULL);
  wait_step(1);
  pthread_create(&u, NULL, u_locks_fw, NULL);
  usleep(SETTLE);
  printf("wake on a word with a PI waiter: %s\n", res(fx(&fw, FUTEX_WAKE, 1, NULL, NULL, 0)));
  printf("cmp_requeue of a PI waiter: %s\n", res(fx(&fw, FUTEX_CMP_REQUEUE, 0, (void *)1L, &fw2, fw)));
  atomic_store(&step, 2);
  pthread_join(t, NULL);
  pthread_join(u, NULL);
  printf("T unlock with a waiter: %s\n", res(t_unlock));
  printf("U lock after T's unlock: %s word %s\n", res(u_lock), word(u_word));
  printf("word after both: %s\n", word(fw));

  /* the owner ends holding the lock, main waiting */
  fw = 0;
  atomic_store(&step, 0);
  pthread_create(&t, NULL, lock_fw_and_exit, NULL);
  wait_step(1);
  r = fx(&fw, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  printf("lock_pi, owner ended holding it: %s word %s\n", res(r), word(fw));
  pthread_join(t, NULL);
  SHOW("unlock", fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), fw);

  /* T holds fw and waits for fw2, which main holds: main's lock of fw closes the chain */
  fw = fw2 = 0;
  atomic_store(&step, 0);
  fx(&fw2, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  pthread_create(&t, NULL, chain, NULL);
  wait_step(1);
  atomic_store(&step, 2);
  usleep(SETTLE);
  SHOW("lock closing a chain", fx(&fw, FUTEX_LOCK_PI, 0, NULL, NULL, 0), fw);
  r = fx(&fw2, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
  pthread_join(t, NULL);
  printf("unlock main's lock: %s\n", res(r));
  printf("words after: %s %s\n", word(fw), word(fw2));

  /* a signal during FUTEX_LOCK_PI: the handler runs, the lock is taken after */
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  fw = 0;
  atomic_store(&step, 0);
  pthread_create(&t, NULL, signal_main, NULL);
  wait_step(1);
  r = fx(&fw, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  printf("lock_pi through a signal: %s handled %d word %s\n", res(r), atomic_load(&handled), word(fw));
  pthread_join(t, NULL);
  fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);

  /* requeue-PI */
  fw = 0;
  cw = 0;
  printf("wait_requeue_pi value differs: %s\n", res(fx(&cw, FUTEX_WAIT_REQUEUE_PI, 1, NULL, &fw, 0)));
  printf("wait_requeue_pi same word: %s\n", res(fx(&cw, FUTEX_WAIT_REQUEUE_PI, 0, NULL, &cw, 0)));
  ts = after(CLOCK_MONOTONIC, 50);
  printf("wait_requeue_pi monotonic deadline: %s\n", res(fx(&cw, FUTEX_WAIT_REQUEUE_PI, 0, &ts, &fw, 0)));
  ts = after(CLOCK_REALTIME, 50);
  printf("wait_requeue_pi realtime deadline: %s\n", res(fx(&cw, FUTEX_WAIT_REQUEUE_PI | FUTEX_CLOCK_REALTIME, 0, &ts, &fw, 0)));
  printf("cmp_requeue_pi no waiters: %s\n", res(fx(&cw, FUTEX_CMP_REQUEUE_PI, 1, (void *)1L, &fw, 0)));
  printf("cmp_requeue_pi nr_wake 2: %s\n", res(fx(&cw, FUTEX_CMP_REQUEUE_PI, 2, (void *)1L, &fw, 0)));
  printf("cmp_requeue_pi same word: %s\n", res(fx(&cw, FUTEX_CMP_REQUEUE_PI, 1, (void *)1L, &cw, 0)));
  printf("cmp_requeue_pi value differs: %s\n", res(fx(&cw, FUTEX_CMP_REQUEUE_PI, 1, (void *)1L, &fw, 1)));

  order = 0;
  pthread_create(&w1, NULL, requeue_waiter, (void *)3);
  usleep(SETTLE);
  pthread_create(&w2, NULL, requeue_waiter, (void *)4);
  usleep(SETTLE);
  printf("wake on a wait_requeue_pi waiter: %s\n", res(fx(&cw, FUTEX_WAKE, 1, NULL, NULL, 0)));
  printf("cmp_requeue on a wait_requeue_pi waiter: %s\n", res(fx(&cw, FUTEX_CMP_REQUEUE, 0, (void *)1L, &fw2, 0)));
  printf("cmp_requeue_pi to another word: %s\n", res(fx(&cw, FUTEX_CMP_REQUEUE_PI, 1, (void *)1L, &fw2, 0)));
  cw = 1;
  r = fx(&cw, FUTEX_CMP_REQUEUE_PI, 1, (void *)INT_MAX, &fw, 1);
  pthread_join(w1, NULL);
  pthread_join(w2, NULL);
  printf("cmp_requeue_pi of two, lock free: %s\n", res(r));
  printf("word after: %s\n", word(fw));

  /* the lock held: the waiter is requeued, not woken, and gets it on unlock */
  cw = 0;
  order = 0;
  fx(&fw, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  pthread_create(&w1, NULL, requeue_waiter, (void *)3);
  usleep(SETTLE);
  r = fx(&cw, FUTEX_CMP_REQUEUE_PI, 1, (void *)0L, &fw, 0);
  printf("cmp_requeue_pi of one, lock held: %s word %s\n", res(r), word(fw));
  usleep(50000);
  r = fx(&fw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
  pthread_join(w1, NULL);
  printf("unlock to the requeued waiter: %s\n", res(r));
  printf("word after: %s\n", word(fw));
  return 0;
}
