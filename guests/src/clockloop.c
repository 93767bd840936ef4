/*
 * clockloop: what one clock_gettime costs the guest, for the vDSO question
 * in docs/performance.md. Times N calls of clock_gettime(CLOCK_MONOTONIC)
 * through glibc (its vDSO when the auxv offers one, else the system call)
 * and N raw SVCs (and N getppid SVCs, the bare system call), against a loop of the same length without a call, and
 * prints nanoseconds per call. Usage: clockloop [N] (default 100000).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now(void) {
  struct timespec ts;
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  struct timespec ts;
  volatile long sink = 0;
  long long t0 = now();
  for (long i = 0; i < n; i++) sink += i;
  long long t1 = now();
  for (long i = 0; i < n; i++) {
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sink += ts.tv_nsec;
  }
  long long t2 = now();
  for (long i = 0; i < n; i++) {
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    sink += ts.tv_nsec;
  }
  long long t3 = now();
  for (long i = 0; i < n; i++) sink += syscall(SYS_getppid);
  long long t4 = now();
  printf("vDSO offered (AT_SYSINFO_EHDR): %s\n", getauxval(AT_SYSINFO_EHDR) ? "yes" : "no");
  printf("empty loop: %.1f ns per iteration\n", (double)(t1 - t0) / n);
  printf("glibc clock_gettime: %.1f ns per call\n", (double)(t2 - t1) / n);
  printf("raw svc clock_gettime: %.1f ns per call\n", (double)(t3 - t2) / n);
  printf("raw svc getppid: %.1f ns per call\n", (double)(t4 - t3) / n);
  return 0;
}
