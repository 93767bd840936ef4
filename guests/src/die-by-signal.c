/*
 * die-by-signal MODE: ends the process through a synchronous or self-sent
 * signal, so the runner's exit status must be 128+N as a shell reports it.
 *   segv   store through a NULL pointer        (SIGSEGV, 139)
 *   ill    execute a permanently undefined insn (SIGILL, 132)
 *   trap   execute BRK #0                       (SIGTRAP, 133)
 *   abort  abort(3): raise SIGABRT via tgkill   (SIGABRT, 134)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: die-by-signal segv|ill|trap|abort\n");
    return 2;
  }
  printf("about to die by %s\n", argv[1]);
  fflush(stdout);
  if (strcmp(argv[1], "segv") == 0) *(volatile int *)0 = 1;
  if (strcmp(argv[1], "ill") == 0) __asm__ volatile(".inst 0x00000000"); /* UDF #0 */
  if (strcmp(argv[1], "trap") == 0) __asm__ volatile("brk #0");
  if (strcmp(argv[1], "abort") == 0) abort();
  printf("still alive\n");
  return 0;
}
