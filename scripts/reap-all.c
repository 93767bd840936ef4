/*
 * reap-all COMMAND [ARGS...]: runs COMMAND as a child subreaper and waits
 * for every process below it, then exits with COMMAND's status (128+N for
 * a signal). scripts/bench.mjs runs its timed commands through it, so the
 * CPU time of processes that outlive their parent (elfuse's waiting
 * processes end just after the process elfuse was started as) is counted
 * by /usr/bin/time, which counts only the processes it and its children
 * waited for.
 */
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: reap-all COMMAND [ARGS...]\n");
    return 2;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) perror("reap-all: PR_SET_CHILD_SUBREAPER");
  pid_t cmd = fork();
  if (cmd < 0) {
    perror("reap-all: fork");
    return 125;
  }
  if (cmd == 0) {
    execvp(argv[1], argv + 1);
    perror("reap-all: exec");
    _exit(127);
  }
  int status = 0, st;
  pid_t p;
  while ((p = wait(&st)) > 0)
    if (p == cmd) status = st;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
