/*
 * pingpong.c: 4 threads pass a turn around a ring N times, each waiting
 * for its turn on a mutex and its own condition variable: every pass is a
 * futex wake of the next thread and a futex wait of this one (the cost of
 * a handoff between threads). Prints the passes made. Usage: pingpong N
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 4
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv[THREADS];
static int turn;
static long passes, limit;

static void *player(void *arg) {
  int me = (int)(long)arg;
  int next = (me + 1) % THREADS;
  pthread_mutex_lock(&m);
  for (;;) {
    while (turn != me && passes < limit) pthread_cond_wait(&cv[me], &m);
    if (passes >= limit) break;
    passes++;
    turn = next;
    pthread_cond_signal(&cv[next]);
  }
  /* the last pass: everyone still waiting must see the end */
  for (int i = 0; i < THREADS; i++) pthread_cond_signal(&cv[i]);
  pthread_mutex_unlock(&m);
  return NULL;
}

int main(int argc, char **argv) {
  limit = argc > 1 ? atol(argv[1]) : 10000;
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_cond_init(&cv[i], NULL);
  for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, player, (void *)i);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  printf("%ld passes among %d threads\n", passes, THREADS);
  return 0;
}
