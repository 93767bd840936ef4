/*
 * big-stack [overflow]: uses far more stack than the initial mapping (a
 * 1 MiB array, then 6 MiB of recursion), which Linux provides by growing
 * the stack on demand up to RLIMIT_STACK (8 MiB). With "overflow" it
 * recurses through 400 MiB and must die by SIGSEGV, like on Linux.
 */
#include <stdio.h>
#include <string.h>

static int deep(int n) {
  volatile char frame[4096];
  frame[0] = (char)n;
  return n ? deep(n - 1) + frame[0] : 0;
}

int main(int argc, char **argv) {
  volatile char big[1 << 20];
  memset((char *)big, 7, sizeof big);
  printf("1 MiB array on the stack: %d\n", big[sizeof big - 1]);
  printf("recursion through 6 MiB: %d\n", deep(1500));
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "overflow") == 0) return deep(100000);
  return 0;
}
