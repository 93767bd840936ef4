/*
 * robust.c: robust futexes (set_robust_list, get_robust_list, the list
 * walked when a thread dies: FUTEX_OWNER_DIED, EOWNERDEAD for the next
 * locker, a waiter woken to take the lock over). qemu-user is weak here,
 * so the reference is this source built natively and run on the host
 * kernel; the output must be equal byte for byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t m;
static atomic_int locked;
static void *thread_head;

static const char *err(int e) { return e ? strerrorname_np(e) : "0"; }

static void *lock_and_die(void *arg) {
  (void)arg;
  size_t len;
  syscall(SYS_get_robust_list, 0, &thread_head, &len);
  pthread_mutex_lock(&m);
  atomic_store(&locked, 1);
  /* no unlock: the thread ends holding the lock */
  return NULL;
}

static void *lock_and_wait(void *arg) {
  (void)arg;
  intptr_t r = pthread_mutex_lock(&m);
  if (r == EOWNERDEAD) {
    pthread_mutex_consistent(&m);
    pthread_mutex_unlock(&m);
  }
  return (void *)r;
}

static atomic_int stop;
static void *hold_then_die(void *arg) {
  (void)arg;
  pthread_mutex_lock(&m);
  atomic_store(&locked, 1);
  while (!atomic_load(&stop)) usleep(1000);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  void *head;
  size_t len = 0;
  long r = syscall(SYS_get_robust_list, 0, &head, &len);
  printf("get_robust_list self: %ld len %zu head set %s\n", r, len, head ? "yes" : "no");
  r = syscall(SYS_set_robust_list, head, 23);
  printf("set_robust_list len 23: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
  r = syscall(SYS_get_robust_list, 0x3fffffff, &head, &len);
  printf("get_robust_list no such thread: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");

  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&m, &a);

  pthread_t t;
  pthread_create(&t, NULL, lock_and_die, NULL);
  pthread_join(t, NULL);
  printf("thread's own list head differs from main's: %s\n", thread_head && thread_head != head ? "yes" : "no");
  int e = pthread_mutex_lock(&m);
  printf("lock after the owner died: %s\n", err(e));
  printf("consistent: %s\n", err(pthread_mutex_consistent(&m)));
  printf("unlock: %s\n", err(pthread_mutex_unlock(&m)));
  printf("lock again: %s\n", err(pthread_mutex_lock(&m)));
  printf("unlock: %s\n", err(pthread_mutex_unlock(&m)));

  /* A waiter blocked on the lock is woken when its owner dies, and takes it over. */
  atomic_store(&locked, 0);
  pthread_t owner, waiter;
  pthread_create(&owner, NULL, hold_then_die, NULL);
  while (!atomic_load(&locked)) usleep(1000);
  pthread_create(&waiter, NULL, lock_and_wait, NULL);
  usleep(200000);
  atomic_store(&stop, 1);
  pthread_join(owner, NULL);
  void *wr;
  pthread_join(waiter, &wr);
  printf("waiter's lock when the owner died: %s\n", err((int)(intptr_t)wr));
  printf("lock: %s\n", err(pthread_mutex_lock(&m)));

  /* A lock left inconsistent (unlocked without pthread_mutex_consistent) is unusable. */
  pthread_mutex_unlock(&m);
  atomic_store(&locked, 0);
  pthread_create(&t, NULL, lock_and_die, NULL);
  pthread_join(t, NULL);
  e = pthread_mutex_lock(&m);
  printf("lock after a second owner died: %s\n", err(e));
  pthread_mutex_unlock(&m);
  printf("lock of a lock left inconsistent: %s\n", err(pthread_mutex_lock(&m)));
  return 0;
}
