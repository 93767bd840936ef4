/*
 * threads-order.c: the schedule is an observable. Threads append their
 * number to a shared buffer without synchronisation, between stretches of
 * pure computation; the order they land in says where each thread was
 * preempted. elfuse schedules threads round robin in slices counted in
 * instructions, so two runs print the same order (the e2e test runs it
 * twice); a native kernel's would differ from run to run.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define NTHREADS 4
#define APPENDS 100
#define WORK 40000

static volatile unsigned char order[NTHREADS * APPENDS * 2];
static volatile int pos;
static volatile unsigned long sink[NTHREADS];

static void *worker(void *arg) {
  int me = (int)(intptr_t)arg;
  unsigned long x = (unsigned long)me + 1;
  for (int i = 0; i < APPENDS; i++) {
    for (int k = 0; k < WORK; k++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    order[pos] = (unsigned char)('a' + me);
    pos = pos + 1;
  }
  sink[me] = x;
  return NULL;
}

int main(void) {
  pthread_t t[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
  for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
  /* The order as runs: "a37 b40 ..." */
  int runs = 0;
  for (int i = 0; i < pos;) {
    int j = i;
    while (j < pos && order[j] == order[i]) j++;
    printf("%c%d ", order[i], j - i);
    runs++;
    i = j;
  }
  printf("\nappends %d runs %d\n", pos, runs);
  return 0;
}
