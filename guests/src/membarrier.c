/*
 * membarrier.c: membarrier(2)'s commands, their checks (flags, unknown
 * commands, EPERM before registration) and the registration state: shared
 * by threads, kept by fork, cleared by execve. Linux has the RSEQ pair only
 * where restartable sequences exist (CONFIG_RSEQ), so what is printed of
 * them is whether they agree with the rseq system call; the rest prints
 * results, to be equal to the same source built with gcc on this machine's
 * kernel.
 *   membarrier [exec]   (exec: the part that runs after the execve)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Newer than some headers. */
#define CMD_PRIVATE_EXPEDITED_RSEQ (1 << 7)
#define CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ (1 << 8)
#define CMD_GET_REGISTRATIONS (1 << 9)
#define CMD_FLAG_CPU 1
#define RSEQ_PAIR (CMD_PRIVATE_EXPEDITED_RSEQ | CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ)

static long mb(int cmd, unsigned flags, int cpu) { return syscall(SYS_membarrier, cmd, flags, cpu); }

static void show(const char *label, long r) {
  if (r < 0) printf("%s: -1 %s\n", label, strerrorname_np(errno));
  else printf("%s: %ld\n", label, r);
  fflush(stdout);
}

/** Registrations, without the RSEQ one (whose presence depends on CONFIG_RSEQ). */
static void registrations(const char *label) {
  long r = mb(CMD_GET_REGISTRATIONS, 0, 0);
  show(label, r < 0 ? r : r & ~CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ);
}

static void *in_thread(void *arg) {
  (void)arg;
  show("thread: private expedited", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
  show("thread: register sync_core", mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0));
  return NULL;
}

/** Whether the RSEQ commands behave as Linux's do with or without restartable sequences, as the rseq call says. */
static void rseq_pair(long query) {
  errno = 0;
  long r = syscall(SYS_rseq, NULL, 0, 0, 0);
  int have_rseq = !(r < 0 && errno == ENOSYS);
  int advertised = (query & RSEQ_PAIR) == RSEQ_PAIR;
  int none = (query & RSEQ_PAIR) == 0;
  int ok = have_rseq ? advertised : none;
  errno = 0;
  long before = mb(CMD_PRIVATE_EXPEDITED_RSEQ, CMD_FLAG_CPU, 0);
  int e_before = errno;
  errno = 0;
  long reg = mb(CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0);
  int e_reg = errno;
  errno = 0;
  long after = mb(CMD_PRIVATE_EXPEDITED_RSEQ, CMD_FLAG_CPU, 0);
  int e_after = errno;
  if (have_rseq) ok = ok && before < 0 && e_before == EPERM && reg == 0 && after == 0;
  else ok = ok && before < 0 && e_before == EINVAL && reg < 0 && e_reg == EINVAL && after < 0 && e_after == EINVAL;
  errno = 0;
  long bad_flag = mb(CMD_PRIVATE_EXPEDITED_RSEQ, 2, 0);
  ok = ok && bad_flag < 0 && errno == EINVAL;
  printf("rseq pair agrees with the rseq call: %s\n", ok ? "yes" : "no");
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exec") == 0) {
    registrations("after execve: registrations");
    show("after execve: private expedited", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
    return 0;
  }
  long query = mb(MEMBARRIER_CMD_QUERY, 0, 0);
  if (query < 0) show("query", query);
  else printf("query: %#lx\n", query & ~RSEQ_PAIR);
  show("query, flags 1", mb(MEMBARRIER_CMD_QUERY, 1, 0));
  show("global, flags 1", mb(MEMBARRIER_CMD_GLOBAL, 1, 0));
  show("private expedited, FLAG_CPU", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, CMD_FLAG_CPU, 0));
  show("command 3", mb(3, 0, 0));
  show("command 1024", mb(1024, 0, 0));
  show("command -1", mb(-1, 0, 0));
  show("global", mb(MEMBARRIER_CMD_GLOBAL, 0, 0));
  show("global expedited", mb(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0));
  show("private expedited", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
  show("private expedited sync_core", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0));
  registrations("registrations");
  show("register sync_core", mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0));
  registrations("registrations");
  show("private expedited", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
  show("private expedited sync_core", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0));
  show("register private expedited", mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
  show("register private expedited again", mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
  show("private expedited", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
  show("private expedited, a cpu that does not exist", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 100000));
  pthread_t t;
  pthread_create(&t, NULL, in_thread, NULL);
  pthread_join(t, NULL);
  show("register global expedited", mb(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0));
  show("global expedited", mb(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0));
  registrations("registrations");
  rseq_pair(query);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    registrations("fork child: registrations");
    show("fork child: private expedited", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
    execl(argv[0], argv[0], "exec", (char *)NULL);
    show("execl", -1);
    _exit(1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  printf("child status %d\n", WEXITSTATUS(status));
  return 0;
}
