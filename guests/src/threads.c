/*
 * threads.c: glibc pthreads on the Linux thread syscalls (clone with
 * CLONE_THREAD, futex, set_tid_address, exit versus exit_group, tgkill).
 * Every line it prints is decided by the program, never by the schedule,
 * so the output is the same under any correct kernel: run by the e2e test
 * under elfuse and under qemu-aarch64, compared byte for byte.
 *
 * Built twice: with the default -march (atomics as LDXR/STXR loops) and
 * with -march=armv8.1-a (LSE: LDADD, CAS, SWP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 64
#define ITERS 2000

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

/* 1. A mutex-protected counter. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_up(void *arg) {
  (void)arg;
  for (int i = 0; i < ITERS; i++) {
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
    if (i % 500 == 0) sched_yield();
  }
  return NULL;
}

/* 2. C11 atomics: fetch_add, compare-exchange loops, exchange. */
static atomic_long acount;
static atomic_int cas_count;
static atomic_int swaps;

static void *atomics(void *arg) {
  (void)arg;
  for (int i = 0; i < ITERS; i++) {
    atomic_fetch_add(&acount, 1);
    int old = atomic_load(&cas_count);
    while (!atomic_compare_exchange_weak(&cas_count, &old, old + 2)) {
    }
    atomic_exchange(&swaps, i);
  }
  return NULL;
}

/* 3. Producer/consumer with condition variables over a small ring. */
#define RING 8
#define ITEMS 5000
static int ring[RING];
static int head, tail, used;
static pthread_mutex_t rlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg) {
  int base = (int)(intptr_t)arg;
  for (int i = 0; i < ITEMS; i++) {
    pthread_mutex_lock(&rlock);
    while (used == RING) pthread_cond_wait(&not_full, &rlock);
    ring[head] = base + i;
    head = (head + 1) % RING;
    used++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&rlock);
  }
  return NULL;
}

static void *consumer(void *arg) {
  long long sum = 0;
  int n = (int)(intptr_t)arg;
  for (int i = 0; i < n; i++) {
    pthread_mutex_lock(&rlock);
    while (used == 0) pthread_cond_wait(&not_empty, &rlock);
    sum += ring[tail];
    tail = (tail + 1) % RING;
    used--;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&rlock);
  }
  long long *out = malloc(sizeof *out);
  *out = sum;
  return out;
}

/* 4. A barrier: every thread sees every other's phase-1 write after it. */
#define BTHREADS 8
static pthread_barrier_t barrier;
static int phase1[BTHREADS];
static int seen_all[BTHREADS];

static void *barrier_worker(void *arg) {
  int me = (int)(intptr_t)arg;
  for (int round = 0; round < 20; round++) {
    phase1[me] = round + 1;
    pthread_barrier_wait(&barrier);
    int ok = 1;
    for (int j = 0; j < BTHREADS; j++) ok &= phase1[j] == round + 1;
    seen_all[me] += ok;
    pthread_barrier_wait(&barrier);
  }
  return NULL;
}

/* 5. A rwlock: readers see the two halves of a pair equal. */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long pair_a, pair_b;
static atomic_int torn;

static void *rw_writer(void *arg) {
  (void)arg;
  for (int i = 0; i < 2000; i++) {
    pthread_rwlock_wrlock(&rw);
    pair_a++;
    for (volatile int k = 0; k < 20; k++) {
    }
    pair_b++;
    pthread_rwlock_unlock(&rw);
  }
  return NULL;
}

static void *rw_reader(void *arg) {
  (void)arg;
  for (int i = 0; i < 2000; i++) {
    pthread_rwlock_rdlock(&rw);
    if (pair_a != pair_b) atomic_fetch_add(&torn, 1);
    pthread_rwlock_unlock(&rw);
  }
  return NULL;
}

/* 6. Thread-local storage and join values. */
static __thread int tls_value = 7;
static __thread char tls_name[16];

static void *tls_worker(void *arg) {
  int me = (int)(intptr_t)arg;
  tls_value += me;
  snprintf(tls_name, sizeof tls_name, "worker-%d", me);
  sched_yield();
  int ok = tls_value == 7 + me && strcmp(tls_name, "worker-") > 0;
  return (void *)(intptr_t)(ok ? 1000 + me : -1);
}

/* 7. A signal aimed at one thread with tgkill: the handler runs on that thread. */
static volatile pid_t target_tid;
static volatile pid_t handler_tid;
static volatile int handled;
static atomic_int ready;

static void on_usr1(int sig) {
  (void)sig;
  handler_tid = gettid_();
  handled = 1;
}

static void *sig_target(void *arg) {
  (void)arg;
  target_tid = gettid_();
  atomic_store(&ready, 1);
  while (!handled) sched_yield();
  return NULL;
}

/* 8. A thread that exits (pthread_exit) while others go on. */
static void *early_exit(void *arg) {
  (void)arg;
  pthread_exit((void *)42);
}

static void *late_worker(void *arg) {
  (void)arg;
  long s = 0;
  for (int i = 0; i < 100000; i++) s += i;
  return (void *)s;
}

/* 9. exit_group from a thread that is not the main one: the process ends with its status. */
static void *ender(void *arg) {
  (void)arg;
  printf("9 exit from a thread\n");
  fflush(stdout);
  exit(3);
}

int main(void) {
  pthread_t t[NTHREADS];
  setvbuf(stdout, NULL, _IOLBF, 0);

  for (int i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, count_up, NULL);
  for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
  printf("1 mutex counter %ld (expect %d)\n", counter, NTHREADS * ITERS);

  for (int i = 0; i < 16; i++) pthread_create(&t[i], NULL, atomics, NULL);
  for (int i = 0; i < 16; i++) pthread_join(t[i], NULL);
  printf("2 atomics add %ld cas %d (expect %d %d)\n", (long)acount, (int)cas_count, 16 * ITERS, 32 * ITERS);

  pthread_t p1, p2, c1;
  pthread_create(&c1, NULL, consumer, (void *)(intptr_t)(2 * ITEMS));
  pthread_create(&p1, NULL, producer, (void *)0);
  pthread_create(&p2, NULL, producer, (void *)100000);
  void *sum;
  pthread_join(p1, NULL);
  pthread_join(p2, NULL);
  pthread_join(c1, &sum);
  long long expect = 0;
  for (int i = 0; i < ITEMS; i++) expect += i + (100000 + i);
  printf("3 producer/consumer sum %lld (expect %lld)\n", *(long long *)sum, expect);
  free(sum);

  pthread_barrier_init(&barrier, NULL, BTHREADS);
  for (int i = 0; i < BTHREADS; i++) pthread_create(&t[i], NULL, barrier_worker, (void *)(intptr_t)i);
  for (int i = 0; i < BTHREADS; i++) pthread_join(t[i], NULL);
  int rounds = 0;
  for (int i = 0; i < BTHREADS; i++) rounds += seen_all[i];
  printf("4 barrier rounds %d (expect %d)\n", rounds, BTHREADS * 20);

  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, rw_writer, NULL);
  for (int i = 2; i < 8; i++) pthread_create(&t[i], NULL, rw_reader, NULL);
  for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
  printf("5 rwlock pair %ld %ld torn %d\n", pair_a, pair_b, (int)torn);

  for (int i = 0; i < 8; i++) pthread_create(&t[i], NULL, tls_worker, (void *)(intptr_t)i);
  printf("6 join values");
  for (int i = 0; i < 8; i++) {
    void *r;
    pthread_join(t[i], &r);
    printf(" %ld", (long)(intptr_t)r);
  }
  printf("; main tls %d\n", tls_value);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  pthread_t st;
  pthread_create(&st, NULL, sig_target, NULL);
  while (!atomic_load(&ready)) sched_yield();
  int r = (int)syscall(SYS_tgkill, getpid(), target_tid, SIGUSR1);
  pthread_join(st, NULL);
  printf("7 tgkill %d: handler ran on the target %s, not main %s, tid %s pid\n", r, handler_tid == target_tid ? "yes" : "no",
         handler_tid != gettid_() ? "yes" : "no", target_tid != getpid() ? "differs from" : "equals");
  printf("7 main tid equals pid: %s\n", gettid_() == getpid() ? "yes" : "no");

  pthread_t e1, l1;
  pthread_create(&e1, NULL, early_exit, NULL);
  pthread_create(&l1, NULL, late_worker, NULL);
  void *ev, *lv;
  pthread_join(e1, &ev);
  pthread_join(l1, &lv);
  printf("8 early exit %ld, late worker %ld\n", (long)(intptr_t)ev, (long)(intptr_t)lv);

  pthread_t x;
  pthread_create(&x, NULL, ender, NULL);
  pthread_join(x, NULL);
  printf("not reached\n");
  return 0;
}
