/*
 * proclimits: /proc/self/limits after setrlimit, and /proc/self/oom_score_adj,
 * oom_adj and oom_score read and written (the range, the number formats,
 * lowering without CAP_SYS_RESOURCE, a fork child inheriting the value),
 * for test/e2e/smallcalls.test.ts, compared with the same source built
 * natively and run on this machine's kernel (qemu-user shows the host's
 * /proc). Every limit is first set to a fixed value, so the file does not
 * depend on what the test runner inherited.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *res(long r) {
  static char buf[64];
  if (r >= 0) snprintf(buf, sizeof buf, "%ld", r);
  else snprintf(buf, sizeof buf, "-1 %s", strerrorname_np(errno));
  return buf;
}

static void cat(const char *path) {
  char buf[4096];
  int fd = open(path, O_RDONLY);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n > 0 ? n : 0] = 0;
  printf("%s: %s", path, n > 0 && strchr(buf, '\n') == buf + n - 1 && !strchr(buf, ' ') ? buf : "\n");
  if (strchr(buf, ' ')) fputs(buf, stdout);
}

static long put(const char *path, const char *text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  long r = write(fd, text, strlen(text));
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  static const struct {
    int resource;
    rlim_t cur, max;
  } fixed[] = {
      {RLIMIT_CPU, 3600, 7200},          {RLIMIT_FSIZE, 1 << 30, 1 << 30},   {RLIMIT_DATA, 1L << 32, 1L << 33},
      {RLIMIT_STACK, 4 << 20, 8 << 20},  {RLIMIT_CORE, 0, 0},                {RLIMIT_RSS, 1L << 31, 1L << 31},
      {RLIMIT_NPROC, 5000, 6000},        {RLIMIT_NOFILE, 256, 512},          {RLIMIT_MEMLOCK, 65536, 65536},
      {RLIMIT_AS, 1L << 40, 1L << 40},   {RLIMIT_LOCKS, 1000, 2000},         {RLIMIT_SIGPENDING, 100, 200},
      {RLIMIT_MSGQUEUE, 8192, 16384},    {RLIMIT_NICE, 0, 0},                {RLIMIT_RTPRIO, 0, 0},
      {RLIMIT_RTTIME, 1000000, 2000000},
  };
  for (unsigned i = 0; i < sizeof fixed / sizeof *fixed; i++) {
    struct rlimit r = {fixed[i].cur, fixed[i].max};
    if (setrlimit(fixed[i].resource, &r) != 0) printf("setrlimit %d: %s\n", fixed[i].resource, res(-1));
  }
  cat("/proc/self/limits");
  struct rlimit r = {100, 512};
  printf("NOFILE soft 100: %s\n", res(setrlimit(RLIMIT_NOFILE, &r)));
  r.rlim_max = 513;
  printf("NOFILE hard 513 (raising needs CAP_SYS_RESOURCE): %s\n", res(setrlimit(RLIMIT_NOFILE, &r)));
  r.rlim_cur = RLIM_INFINITY;
  r.rlim_max = RLIM_INFINITY;
  printf("CPU unlimited (raising): %s\n", res(setrlimit(RLIMIT_CPU, &r)));
  cat("/proc/self/limits");

  cat("/proc/self/oom_score_adj");
  cat("/proc/self/oom_adj");
  cat("/proc/self/oom_score");
  const char *values[] = {"500", "0x10\n", "010", " +300 \n", "1001", "-1001", "abc", "", "12abc", "99999999999", "1000", "0", "-1", "-1000"};
  for (unsigned i = 0; i < sizeof values / sizeof *values; i++) {
    printf("write \"%s\" to oom_score_adj: %s", values[i], res(put("/proc/self/oom_score_adj", values[i])));
    char buf[32] = {0};
    int fd = open("/proc/self/oom_score_adj", O_RDONLY);
    read(fd, buf, sizeof buf - 1);
    close(fd);
    printf(", now %s", buf);
  }
  printf("write a long string: %s\n", res(put("/proc/self/oom_score_adj", "700                    ")));
  cat("/proc/self/oom_score_adj");
  cat("/proc/self/oom_adj");
  cat("/proc/self/oom_score");
  const char *legacy[] = {"15", "8", "-16", "-17", "16", "3"};
  for (unsigned i = 0; i < sizeof legacy / sizeof *legacy; i++) {
    printf("write \"%s\" to oom_adj: %s", legacy[i], res(put("/proc/self/oom_adj", legacy[i])));
    char buf[32] = {0};
    int fd = open("/proc/self/oom_score_adj", O_RDONLY);
    read(fd, buf, sizeof buf - 1);
    close(fd);
    printf(", oom_score_adj now %s", buf);
  }
  cat("/proc/self/oom_adj");
  put("/proc/self/oom_score_adj", "250");
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    cat("/proc/self/oom_score_adj");
    printf("child lowers to 100: %s\n", res(put("/proc/self/oom_score_adj", "100")));
    _exit(0);
  }
  waitpid(p, NULL, 0);
  printf("open oom_score for writing: %s\n", res(open("/proc/self/oom_score", O_WRONLY)));
  return 0;
}
