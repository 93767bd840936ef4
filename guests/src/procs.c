/*
 * procs: processes as Linux has them, one area per argument, compared with
 * the same source built natively and run on the host kernel. Prints only
 * relations (same pid, the parent, a child), never raw pids or times.
 *
 *   wait     fork/wait statuses (WIFEXITED, WIFSIGNALED, WCOREDUMP,
 *            WIFSTOPPED, WIFCONTINUED), WNOHANG, WNOWAIT, waitid's fields,
 *            rusage plausibility, ECHILD
 *   stopcont a SIGCONT sent on hearing of a stop finds the child stopped
 *   vfork    the parent is suspended until the child exits or execs
 *   spawn    a vfork child shares its parent's memory (its writes, its own
 *            pid and umask); posix_spawn's errors, file actions,
 *            SETPGROUP, SETSID; posix_spawnp's PATH search
 *   exec     execve errors (ENOENT, EACCES, ENOEXEC, ELOOP for nested #!,
 *            E2BIG) and #! with its optional argument
 *   signals  signals between processes with their siginfo (si_pid, si_uid,
 *            sigqueue's value), rt_sigqueueinfo's EPERM, kill's EPERM
 *   killall  kill(-1): everyone but the caller (and init)
 *   pgrp     setpgid's rules (EPERM, ESRCH, EACCES, EINVAL), setsid's EPERM,
 *            getsid
 *   zombie   a zombie's /proc state, SIGCHLD's siginfo (si_uid the
 *            child's), SA_NOCLDWAIT and SIG_IGN reaping, ECHILD
 *   orphan   getppid after the parent exits, the child subreaper, the
 *            parent-death signal
 *   reparent a zombie left unreaped by a process that exits goes to the
 *            nearest child subreaper (SIGCHLD with its siginfo, wait4 with
 *            its exact status and rusage), past a parent that is none, and
 *            out of sight without one
 *   proc     /proc/<pid> of a child: cmdline and environ after its execve,
 *            exe, cwd, fd, status, stat, and the listing of /proc
 *   pidfd    pidfd_open, pidfd_send_signal, pidfd_getfd, waitid(P_PIDFD),
 *            CLONE_PIDFD from clone and clone3
 *   peers    signals between processes that are neither parent nor
 *            child: sigqueue's value and the sender's pid arrive
 *   reuse    each child begins as its parent made it (umask, SIGTTOU,
 *            parent-death signal, CPU time), whatever the child before it
 *            did
 *   exec-host (elfuse only) a host program is ENOEXEC
 *
 * Helper modes the program execs itself in: exit N, argv-dump..., proc-child,
 * vfork-child, spawned.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char self[4096];
static char scratch[4096];

static const char *en(int e) {
  const char *n = strerrorname_np(e);
  return n ? n : "E?";
}

static void result(const char *what, long r) {
  if (r < 0) printf("%s: %s\n", what, en(errno));
  else printf("%s: ok\n", what);
}

static const char *yes(int c) { return c ? "yes" : "no"; }

static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t xfork(void) {
  fflush(stdout);
  pid_t p = fork();
  if (p < 0) {
    perror("fork");
    exit(99);
  }
  return p;
}

static void describe(const char *what, int st) {
  if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by %s core=%d\n", what, sigabbrev_np(WTERMSIG(st)), WCOREDUMP(st) ? 1 : 0);
  else if (WIFSTOPPED(st)) printf("%s: stopped by %s\n", what, sigabbrev_np(WSTOPSIG(st)));
  else if (WIFCONTINUED(st)) printf("%s: continued\n", what);
  else printf("%s: status 0x%x\n", what, st);
}

static const char *code_name(int code) {
  switch (code) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    default: return "?";
  }
}

/* ---- wait ---- */

static void sec_wait(void) {
  int st;
  pid_t p, r;
  struct rusage ru;

  p = xfork();
  if (p == 0) _exit(3);
  r = wait4(p, &st, 0, &ru);
  printf("wait4 names the child: %s\n", yes(r == p));
  describe("exit 3", st);

  p = xfork();
  if (p == 0) {
    pause();
    _exit(0);
  }
  kill(p, SIGTERM);
  waitpid(p, &st, 0);
  describe("SIGTERM", st);

  /* Stopped, continued, then exited: the child waits on a pipe so each change is seen alone. */
  int fds[2];
  if (pipe(fds) != 0) exit(98);
  p = xfork();
  if (p == 0) {
    char c;
    raise(SIGSTOP);
    if (read(fds[0], &c, 1) != 1) _exit(90);
    _exit(7);
  }
  waitpid(p, &st, WUNTRACED);
  describe("WUNTRACED", st);
  r = waitpid(p, &st, WNOHANG | WUNTRACED);
  printf("the stop is reported once: %s\n", yes(r == 0));
  kill(p, SIGCONT);
  waitpid(p, &st, WCONTINUED);
  describe("WCONTINUED", st);
  r = waitpid(p, &st, WNOHANG);
  printf("WNOHANG while it runs: %d\n", (int)r);
  if (write(fds[1], "x", 1) != 1) exit(97);
  close(fds[0]);
  close(fds[1]);

  /* waitid: WNOWAIT leaves the zombie for the next wait. */
  siginfo_t si;
  memset(&si, 0, sizeof si);
  r = waitid(P_PID, p, &si, WEXITED | WNOWAIT);
  printf("waitid WNOWAIT: r=%d signo=%s code=%s status=%d pid=%s uid=%s\n", (int)r, sigabbrev_np(si.si_signo), code_name(si.si_code), si.si_status,
         si.si_pid == p ? "child" : "other", si.si_uid == getuid() ? "ours" : "other");
  memset(&si, 0, sizeof si);
  r = waitid(P_PID, p, &si, WEXITED);
  printf("waitid again: r=%d code=%s status=%d pid=%s\n", (int)r, code_name(si.si_code), si.si_status, si.si_pid == p ? "child" : "other");
  errno = 0;
  r = waitid(P_PID, p, &si, WEXITED);
  printf("waitid after the reap: %d %s\n", (int)r, en(errno));

  /* waitid WNOHANG with nothing to report: 0 and si_pid 0. */
  p = xfork();
  if (p == 0) {
    pause();
    _exit(0);
  }
  memset(&si, 0xff, sizeof si);
  r = waitid(P_PID, p, &si, WEXITED | WNOHANG);
  printf("waitid WNOHANG, running: r=%d si_pid=%d\n", (int)r, si.si_pid);
  kill(p, SIGKILL);
  memset(&si, 0, sizeof si);
  waitid(P_ALL, 0, &si, WEXITED);
  printf("waitid SIGKILL: code=%s status=%s\n", code_name(si.si_code), sigabbrev_np(si.si_status));
  printf("waitid bad idtype: %s\n", waitid((idtype_t)42, 0, &si, WEXITED) < 0 ? en(errno) : "ok");
  printf("waitid no options: %s\n", waitid(P_ALL, 0, &si, 0) < 0 ? en(errno) : "ok");
  printf("wait4 bad option: %s\n", wait4(-1, &st, 0x40000, NULL) < 0 ? en(errno) : "ok");

  /* rusage: a child that burns CPU reports some, and a plausible peak RSS. */
  p = xfork();
  if (p == 0) {
    /* Its own CPU time, not the wall clock: on a loaded machine 0.3 s of wall time may be little CPU. */
    volatile unsigned long x = 0;
    struct timespec cpu_now;
    do {
      x++;
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_now);
    } while (cpu_now.tv_sec == 0 && cpu_now.tv_nsec < 300000000);
    _exit(0);
  }
  r = wait4(p, &st, 0, &ru);
  double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  printf("rusage: cpu>0.1s %s, cpu<60s %s, maxrss>0 %s\n", yes(cpu > 0.1), yes(cpu < 60), yes(ru.ru_maxrss > 0));
  struct rusage all;
  getrusage(RUSAGE_CHILDREN, &all);
  double allcpu = (double)all.ru_utime.tv_sec + (double)all.ru_utime.tv_usec / 1e6 + (double)all.ru_stime.tv_sec + (double)all.ru_stime.tv_usec / 1e6;
  printf("RUSAGE_CHILDREN covers it: %s\n", yes(allcpu >= cpu - 0.001));

  errno = 0;
  r = wait(&st);
  printf("wait with no children: %d %s\n", (int)r, en(errno));
  r = waitpid(getpid(), &st, WNOHANG);
  printf("waitpid of itself: %d %s\n", (int)r, en(errno));
}

/* ---- vfork ---- */

static void sec_vfork(void) {
  int st;
  double t0 = now();
  fflush(stdout);
  pid_t p = vfork();
  if (p == 0) {
    msleep(300);
    _exit(4);
  }
  printf("vfork: the parent waited for the exit: %s\n", yes(now() - t0 >= 0.29));
  waitpid(p, &st, 0);
  describe("vfork child", st);

  t0 = now();
  fflush(stdout);
  p = vfork();
  if (p == 0) {
    msleep(300);
    execl(self, self, "vfork-child", (char *)NULL);
    _exit(127);
  }
  double waited = now() - t0;
  printf("vfork: the parent waited for the exec: %s\n", yes(waited >= 0.29));
  pid_t r = waitpid(p, &st, WNOHANG);
  printf("vfork: the parent runs while the exec'd child does: %s\n", yes(r == 0));
  waitpid(p, &st, 0);
  describe("vfork exec child", st);
}

/* ---- vfork shares memory; posix_spawn ---- */

extern char **environ;
static volatile int shared_word;

/* The program posix_spawn starts: where it stands (argv[2]: the spawner's pid). */
static int spawned_main(int argc, char **argv) {
  pid_t spawner = argc > 2 ? (pid_t)atoi(argv[2]) : -1;
  printf("spawned: parent is the spawner %s, group leader %s, session leader %s\n", yes(getppid() == spawner), yes(getpgid(0) == getpid()),
         yes(getsid(0) == getpid()));
  return 9;
}

/* What a spawned child wrote to the file its stdout was redirected to. */
static void print_output(const char *out) {
  char buf[256] = {0};
  int fd = open(out, O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  printf("its output, from the file: %s", n > 0 ? buf : "(none)\n");
}

static void sec_spawn(void) {
  int st;
  /* A vfork child writes its parent's memory (they share it until the exec). */
  shared_word = 1;
  fflush(stdout);
  pid_t p = vfork();
  if (p == 0) {
    shared_word = 42;
    _exit(3);
  }
  waitpid(p, &st, 0);
  printf("vfork: the parent sees the child's write: %d\n", shared_word);
  describe("vfork child", st);

  /* The child's getpid is the pid vfork returns; its umask is its own. */
  volatile pid_t seen = 0, seen_parent = 0;
  mode_t before = umask(022);
  p = vfork();
  if (p == 0) {
    seen = getpid();
    seen_parent = getppid();
    umask(077);
    _exit(0);
  }
  waitpid(p, &st, 0);
  mode_t after = umask(before);
  printf("vfork: getpid in the child is the pid vfork returned: %s, getppid is the parent: %s\n", yes(seen == p), yes(seen_parent == getpid()));
  printf("vfork: the child's umask left the parent's alone: %s\n", yes(after == 022));

  /* A child that dies of a signal before its exec. */
  p = vfork();
  if (p == 0) {
    raise(SIGTERM);
    _exit(1);
  }
  waitpid(p, &st, 0);
  describe("vfork child killed before exec", st);

  /* posix_spawn: a failed exec is posix_spawn's own error (the child reports it through shared memory). */
  char *nothing[] = {"nothing", NULL};
  int r = posix_spawn(&p, "/nonexistent/program", NULL, NULL, nothing, environ);
  printf("posix_spawn of a missing file: %s\n", r == 0 ? "ok" : en(r));
  char notexec[4200];
  snprintf(notexec, sizeof notexec, "%s/not-executable", scratch);
  int fd = open(notexec, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) close(fd);
  r = posix_spawn(&p, notexec, NULL, NULL, nothing, environ);
  printf("posix_spawn of a file without x: %s\n", r == 0 ? "ok" : en(r));

  /* File actions and a process group: the child's stdout goes to a file. */
  char out[4200], ppid_arg[32];
  snprintf(out, sizeof out, "%s/spawn-out", scratch);
  snprintf(ppid_arg, sizeof ppid_arg, "%d", (int)getpid());
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&at, 0);
  char *args[] = {self, "spawned", ppid_arg, NULL};
  r = posix_spawn(&p, self, &fa, &at, args, environ);
  printf("posix_spawn with a file action and POSIX_SPAWN_SETPGROUP: %s\n", r == 0 ? "ok" : en(r));
  if (r == 0) {
    waitpid(p, &st, 0);
    describe("posix_spawn child", st);
    print_output(out);
  }
  posix_spawn_file_actions_destroy(&fa);

  /* POSIX_SPAWN_SETSID, and posix_spawnp's PATH search past missing directories. */
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", self);
  char *slash = strrchr(dir, '/');
  const char *base = slash ? slash + 1 : self;
  if (slash) *slash = 0;
  char path[8300];
  snprintf(path, sizeof path, "/nonexistent-a:/nonexistent-b:%s", dir);
  setenv("PATH", path, 1);
  fflush(stdout);
  char *args2[] = {(char *)base, "spawned", ppid_arg, NULL};
  /* Its stdout goes to the file too: written to ours, its line could come before or after the next. */
  posix_spawn_file_actions_t fa2;
  posix_spawn_file_actions_init(&fa2);
  posix_spawn_file_actions_addopen(&fa2, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  r = posix_spawnp(&p, base, &fa2, &at, args2, environ);
  printf("posix_spawnp with POSIX_SPAWN_SETSID: %s\n", r == 0 ? "ok" : en(r));
  if (r == 0) {
    waitpid(p, &st, 0);
    describe("posix_spawnp child", st);
    print_output(out);
  }
  posix_spawn_file_actions_destroy(&fa2);
  posix_spawnattr_destroy(&at);
}

/* ---- exec ---- */

static int run_exec(const char *path, char *const argv[]) {
  int st;
  pid_t p = xfork();
  if (p == 0) {
    char *envp[] = {NULL};
    execve(path, argv, envp);
    _exit(errno);
  }
  waitpid(p, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static void write_file(const char *path, const char *text, mode_t mode) {
  unlink(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) exit(96);
  close(fd);
  chmod(path, mode);
}

static void exec_case(const char *what, const char *path) {
  char *argv[] = {(char *)path, NULL};
  int code = run_exec(path, argv);
  if (code == 200) printf("exec %s: ran\n", what);
  else printf("exec %s: %s\n", what, en(code));
}

static void sec_exec(void) {
  char path[4200], text[4300], prev[4200];
  exec_case("missing", "/nonexistent/prog");
  snprintf(path, sizeof path, "%s/noexec", scratch);
  snprintf(text, sizeof text, "#!%s ran\n", self);
  write_file(path, text, 0644);
  exec_case("no x bit", path);
  exec_case("a directory", scratch);
  snprintf(path, sizeof path, "%s/garbage", scratch);
  write_file(path, "hello, not a program\n", 0755);
  exec_case("not a program", path);
  snprintf(path, sizeof path, "%s/empty", scratch);
  write_file(path, "", 0755);
  exec_case("empty file", path);
  snprintf(path, sizeof path, "%s/badinterp", scratch);
  write_file(path, "#!/nonexistent/interp\n", 0755);
  exec_case("missing interpreter", path);

  /* #! with its optional argument: one argument, inner spaces kept, trailing blanks cut. */
  snprintf(path, sizeof path, "%s/script", scratch);
  snprintf(text, sizeof text, "#! %s argv-dump  one two \t\n", self);
  write_file(path, text, 0755);
  {
    char *argv[] = {"script-argv0", "extra", NULL};
    fflush(stdout);
    int code = run_exec(path, argv);
    printf("script exit: %d\n", code);
  }

  /* A chain of scripts, each the interpreter of the next: Linux follows a few and then says ELOOP. */
  snprintf(prev, sizeof prev, "%s/chain0", scratch);
  snprintf(text, sizeof text, "#!%s ran\n", self);
  write_file(prev, text, 0755);
  for (int i = 1; i <= 6; i++) {
    snprintf(path, sizeof path, "%s/chain%d", scratch, i);
    snprintf(text, sizeof text, "#!%s\n", prev);
    write_file(path, text, 0755);
    char what[32];
    snprintf(what, sizeof what, "chain depth %d", i);
    exec_case(what, path);
    strcpy(prev, path);
  }

  /* E2BIG: one argument longer than MAX_ARG_STRLEN, then too many in total. */
  {
    size_t n = 200000;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = 0;
    char *argv[] = {self, big, NULL};
    int code = run_exec(self, argv);
    printf("exec one huge argument: %s\n", en(code));
    char **many = calloc(400, sizeof *many);
    big[100000] = 0;
    many[0] = self;
    for (int i = 1; i < 399; i++) many[i] = big;
    code = run_exec(self, many);
    printf("exec 40 MB of arguments: %s\n", en(code));
    free(many);
    free(big);
  }
}

static void sec_exec_host(void) {
  exec_case("a host program", "/bin/true");
}

/* ---- signals ---- */

static void sec_signals(void) {
  sigset_t set;
  siginfo_t si;
  int st;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &set, NULL);

  /* Child to parent: sigqueue with a value, then kill. */
  pid_t p = xfork();
  if (p == 0) {
    union sigval v = {.sival_int = 42};
    sigqueue(getppid(), SIGUSR1, v);
    kill(getppid(), SIGUSR2);
    _exit(0);
  }
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, SIGUSR1);
  memset(&si, 0, sizeof si);
  sigwaitinfo(&one, &si);
  printf("parent got %s: code=%s pid=%s uid=%s value=%d\n", sigabbrev_np(si.si_signo), code_name(si.si_code), si.si_pid == p ? "child" : "other",
         si.si_uid == getuid() ? "ours" : "other", si.si_value.sival_int);
  sigemptyset(&one);
  sigaddset(&one, SIGUSR2);
  memset(&si, 0, sizeof si);
  sigwaitinfo(&one, &si);
  printf("parent got %s: code=%s pid=%s\n", sigabbrev_np(si.si_signo), code_name(si.si_code), si.si_pid == p ? "child" : "other");
  waitpid(p, &st, 0);

  /* Parent to child: sigqueue, tgkill, kill; the child reports what it saw. */
  /* The child acknowledges each signal before the next is sent: with two pending, sigwaitinfo
     would take the lower-numbered first, so a timed pause would make the order depend on load. */
  int ready[2];
  if (pipe(ready) != 0) exit(95);
  p = xfork();
  if (p == 0) {
    if (write(ready[1], "r", 1) != 1) _exit(91);
    for (int i = 0; i < 3; i++) {
      siginfo_t ci;
      memset(&ci, 0, sizeof ci);
      sigwaitinfo(&set, &ci);
      printf("child got %s: code=%s pid=%s value=%d\n", sigabbrev_np(ci.si_signo), code_name(ci.si_code), ci.si_pid == getppid() ? "parent" : "other",
             ci.si_code == SI_QUEUE ? ci.si_value.sival_int : -1);
      fflush(stdout);
      if (write(ready[1], "a", 1) != 1) _exit(90);
    }
    _exit(0);
  }
  char c;
  if (read(ready[0], &c, 1) != 1) exit(94);
  union sigval v = {.sival_int = 7};
  sigqueue(p, SIGRTMIN, v);
  if (read(ready[0], &c, 1) != 1) exit(94);
  syscall(SYS_tgkill, p, p, SIGUSR2);
  if (read(ready[0], &c, 1) != 1) exit(94);
  kill(p, SIGUSR1);
  waitpid(p, &st, 0);
  describe("receiver", st);

  /* rt_sigqueueinfo to another process with a kernel si_code or SI_TKILL: EPERM. */
  p = xfork();
  if (p == 0) {
    pause();
    _exit(0);
  }
  memset(&si, 0, sizeof si);
  si.si_signo = SIGUSR1;
  si.si_code = SI_USER;
  printf("rt_sigqueueinfo SI_USER to another: %s\n", syscall(SYS_rt_sigqueueinfo, p, SIGUSR1, &si) < 0 ? en(errno) : "ok");
  si.si_code = SI_TKILL;
  printf("rt_sigqueueinfo SI_TKILL to another: %s\n", syscall(SYS_rt_sigqueueinfo, p, SIGUSR1, &si) < 0 ? en(errno) : "ok");
  printf("rt_tgsigqueueinfo tid 0: %s\n", syscall(SYS_rt_tgsigqueueinfo, p, 0, SIGUSR1, &si) < 0 ? en(errno) : "ok");
  printf("kill bad signal: %s\n", kill(p, 99) < 0 ? en(errno) : "ok");
  printf("kill 0 probes: %s\n", kill(p, 0) < 0 ? en(errno) : "ok");
  kill(p, SIGKILL);
  waitpid(p, &st, 0);
  printf("kill of a reaped child: %s\n", kill(p, 0) < 0 ? en(errno) : "ok");

  /* kill's permission rules: a child that gave up root may not signal its root parent but SIGCONT in its session. */
  if (getuid() == 0) {
    int done[2];
    if (pipe(done) != 0) exit(74);
    p = xfork();
    if (p == 0) {
      if (setresuid(1000, 1000, 1000) != 0) _exit(92);
      printf("unprivileged child, kill 0 of the root parent: %s\n", kill(getppid(), 0) < 0 ? en(errno) : "ok");
      printf("unprivileged child, SIGUSR1 to the root parent: %s\n", kill(getppid(), SIGUSR1) < 0 ? en(errno) : "ok");
      printf("unprivileged child, SIGCONT to the root parent in its session: %s\n", kill(getppid(), SIGCONT) < 0 ? en(errno) : "ok");
      union sigval w = {.sival_int = 1};
      printf("unprivileged child, sigqueue to the root parent: %s\n", sigqueue(getppid(), SIGUSR1, w) < 0 ? en(errno) : "ok");
      fflush(stdout);
      if (write(done[1], "d", 1) != 1) _exit(90);
      pause();
      _exit(0);
    }
    char d;
    if (read(done[0], &d, 1) != 1) exit(73);
    printf("root parent, kill 0 of the unprivileged child: %s\n", kill(p, 0) < 0 ? en(errno) : "ok");
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    struct timespec zero = {0, 0};
    printf("no SIGUSR1 came through: %s\n", yes(sigtimedwait(&set, &si, &zero) < 0));
  } else {
    printf("(not root: the permission cases need uid 0)\n");
  }
}

/* ---- killall ---- */

static void sec_killall(void) {
  int st;
  signal(SIGTERM, SIG_IGN);
  pid_t leader = xfork();
  if (leader == 0) {
    signal(SIGTERM, SIG_DFL);
    pid_t a = xfork();
    if (a == 0) {
      pause();
      _exit(0);
    }
    pid_t b = xfork();
    if (b == 0) {
      pause();
      _exit(0);
    }
    msleep(500);
    printf("kill(-1, 0): %s\n", kill(-1, 0) < 0 ? en(errno) : "ok");
    printf("kill(-1, SIGTERM): %s\n", kill(-1, SIGTERM) < 0 ? en(errno) : "ok");
    waitpid(a, &st, 0);
    describe("first sibling", st);
    waitpid(b, &st, 0);
    describe("second sibling", st);
    printf("the caller is spared\n");
    fflush(stdout);
    _exit(0);
  }
  waitpid(leader, &st, 0);
  describe("leader", st);
  printf("the top process (SIGTERM ignored) is still here\n");
  signal(SIGTERM, SIG_DFL);
}

/* ---- pgrp ---- */

static void sec_pgrp(void) {
  int st;
  int go[2];
  if (pipe(go) != 0) exit(93);
  pid_t p = xfork();
  if (p == 0) {
    char c;
    if (read(go[0], &c, 1) != 1) _exit(90);
    _exit(0);
  }
  close(go[0]);
  result("setpgid(child, child)", setpgid(p, p));
  printf("the child leads its group: %s\n", yes(getpgid(p) == p));
  result("setpgid(child, our group)", setpgid(p, getpgid(0)));
  printf("back in our group: %s\n", yes(getpgid(p) == getpgid(0)));
  printf("getsid of the child is ours: %s\n", yes(getsid(p) == getsid(0)));
  result("setpgid(parent, ...)", setpgid(getppid(), getppid()));
  result("setpgid(child, -1)", setpgid(p, -1));
  result("setpgid(child, a group that does not exist)", setpgid(p, p + 100000 > 4000000 ? 3 : p + 100000));
  if (write(go[1], "x", 1) != 1) exit(92);
  close(go[1]);
  waitpid(p, &st, 0);
  result("setpgid(reaped child, ...)", setpgid(p, p));

  /* After its exec, a child's group is no longer the parent's to change. */
  int hold[2], up[2];
  if (pipe(hold) != 0 || pipe(up) != 0) exit(91);
  p = xfork();
  if (p == 0) {
    close(hold[1]);
    close(up[0]);
    dup2(hold[0], 0);
    dup2(up[1], 1);
    execl(self, self, "exit-on-stdin", (char *)NULL);
    _exit(127);
  }
  close(hold[0]);
  close(up[1]);
  char up_c;
  if (read(up[0], &up_c, 1) != 1) exit(72);
  close(up[0]);
  result("setpgid(exec'd child, itself)", setpgid(p, p));
  close(hold[1]);
  waitpid(p, &st, 0);
  describe("exec'd child", st);

  /* A child in its own session: its group cannot be changed, nor joined. */
  int sync[2];
  if (pipe(sync) != 0) exit(90);
  p = xfork();
  if (p == 0) {
    close(sync[0]);
    pid_t s = setsid();
    char r = s == getpid() ? 'y' : 'n';
    if (write(sync[1], &r, 1) != 1) _exit(90);
    pause();
    _exit(0);
  }
  close(sync[1]);
  char c = 0;
  if (read(sync[0], &c, 1) != 1) exit(89);
  close(sync[0]);
  printf("setsid in the child made it a session leader: %s\n", yes(c == 'y'));
  printf("its session is its own: %s\n", yes(getsid(p) == p && getsid(p) != getsid(0)));
  result("setpgid(child in another session, ...)", setpgid(p, p));
  result("setpgid(0, its group in another session)", setpgid(0, p));
  kill(p, SIGKILL);
  waitpid(p, &st, 0);

  /* setsid in a group leader is EPERM. */
  p = xfork();
  if (p == 0) {
    setpgid(0, 0);
    printf("setsid of a group leader: %s\n", setsid() < 0 ? en(errno) : "ok");
    fflush(stdout);
    _exit(0);
  }
  waitpid(p, &st, 0);
  printf("getsid of nobody: %s\n", getsid(p) < 0 ? en(errno) : "ok");
}

/* ---- zombie ---- */

static char proc_state(pid_t p) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)p);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return '-';
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return '?';
  buf[n] = 0;
  char *paren = strrchr(buf, ')');
  return paren && paren[1] == ' ' ? paren[2] : '?';
}

static void status_line(pid_t p, const char *field, char *out, size_t size) {
  char path[64], buf[4096];
  out[0] = 0;
  snprintf(path, sizeof path, "/proc/%d/status", (int)p);
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    snprintf(out, size, "%s", en(errno));
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n > 0 ? n : 0] = 0;
  char *at = strstr(buf, field);
  if (!at) return;
  at += strlen(field);
  while (*at == '\t' || *at == ' ') at++;
  size_t len = strcspn(at, "\n");
  snprintf(out, size, "%.*s", (int)len, at);
}

static void sec_zombie(void) {
  int st;
  char line[256];
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  pid_t p = xfork();
  if (p == 0) _exit(9);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  sigwaitinfo(&set, &si);
  printf("SIGCHLD: code=%s status=%d pid=%s\n", code_name(si.si_code), si.si_status, si.si_pid == p ? "child" : "other");
  printf("zombie /proc state: %c\n", proc_state(p));
  status_line(p, "State:", line, sizeof line);
  printf("zombie status State: %s\n", line);
  status_line(p, "PPid:", line, sizeof line);
  printf("zombie's parent is us: %s\n", yes(atoi(line) == getpid()));
  waitpid(p, &st, 0);
  describe("zombie reaped", st);
  printf("after the reap /proc state: %c\n", proc_state(p));

  /* si_uid is the child's real uid (do_notify_parent, wait_task_zombie), which it may have changed (as root). */
  p = xfork();
  if (p == 0) _exit(setuid(1234) == 0 ? 0 : 9);
  memset(&si, 0, sizeof si);
  sigwaitinfo(&set, &si);
  const char *sig_uid = si.si_uid == 1234 ? "the child's" : si.si_uid == getuid() ? "ours" : "other";
  memset(&si, 0, sizeof si);
  waitid(P_PID, p, &si, WEXITED);
  printf("a child that ran setuid(1234): %s; SIGCHLD si_uid: %s; waitid si_uid: %s\n", si.si_status == 0 ? "ok" : "refused", sig_uid,
         si.si_uid == 1234 ? "the child's" : si.si_uid == getuid() ? "ours" : "other");
  sigprocmask(SIG_UNBLOCK, &set, NULL);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sa.sa_flags = SA_NOCLDWAIT;
  sigaction(SIGCHLD, &sa, NULL);
  p = xfork();
  if (p == 0) _exit(1);
  errno = 0;
  pid_t r = wait(&st);
  printf("SA_NOCLDWAIT: wait %d %s\n", (int)r, en(errno));
  sa.sa_flags = 0;
  sigaction(SIGCHLD, &sa, NULL);

  signal(SIGCHLD, SIG_IGN);
  p = xfork();
  if (p == 0) _exit(1);
  errno = 0;
  r = wait(&st);
  printf("SIGCHLD ignored: wait %d %s\n", (int)r, en(errno));
  signal(SIGCHLD, SIG_DFL);
  errno = 0;
  r = waitpid(-1, &st, WNOHANG);
  printf("no children, WNOHANG: %d %s\n", (int)r, en(errno));
}

/* ---- orphan ---- */

static void sec_orphan(void) {
  int st;
  int out[2];
  if (pipe(out) != 0) exit(88);
  pid_t top = getpid();

  /* getppid after the parent exits: someone else has the orphan. */
  pid_t a = xfork();
  if (a == 0) {
    pid_t me = getpid();
    pid_t b = xfork();
    if (b == 0) {
      int changed = 0;
      for (int i = 0; i < 3000 && !changed; i++) {
        if (getppid() != me) changed = 1;
        else msleep(10);
      }
      char r[2] = {changed ? 'y' : 'n', getppid() == top ? 't' : 'o'};
      if (write(out[1], r, 2) != 2) _exit(90);
      _exit(0);
    }
    _exit(0);
  }
  waitpid(a, &st, 0);
  char r[2] = {0, 0};
  if (read(out[0], r, 2) != 2) exit(87);
  printf("orphan: getppid changed when its parent exited: %s; it is now the grandparent: %s\n", yes(r[0] == 'y'), yes(r[1] == 't'));

  /* A child subreaper adopts the orphans below it and reaps them. */
  printf("PR_SET_CHILD_SUBREAPER: %s\n", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? en(errno) : "ok");
  int v = -1;
  prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
  printf("PR_GET_CHILD_SUBREAPER: %d\n", v);
  a = xfork();
  if (a == 0) {
    pid_t me = getpid();
    pid_t b = xfork();
    if (b == 0) {
      int adopted = 0;
      for (int i = 0; i < 3000 && !adopted; i++) {
        if (getppid() == top) adopted = 1;
        else msleep(10);
      }
      char c = adopted ? 'y' : 'n';
      if (write(out[1], &c, 1) != 1) _exit(90);
      _exit(5);
    }
    (void)me;
    if (write(out[1], &b, sizeof b) != sizeof b) _exit(90);
    _exit(0);
  }
  pid_t b = 0;
  if (read(out[0], &b, sizeof b) != sizeof b) exit(86);
  waitpid(a, &st, 0);
  describe("subreaper's child", st);
  char c = 0;
  if (read(out[0], &c, 1) != 1) exit(85);
  printf("the grandchild's parent is now the subreaper: %s\n", yes(c == 'y'));
  pid_t got = waitpid(-1, &st, 0);
  printf("the subreaper reaps the grandchild: %s\n", yes(got == b));
  describe("grandchild", st);
  errno = 0;
  got = wait(&st);
  printf("then no children: %d %s\n", (int)got, en(errno));
  prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);

  /* The parent-death signal, from the parent that died. */
  a = xfork();
  if (a == 0) {
    pid_t me = getpid();
    int ready[2];
    if (pipe(ready) != 0) _exit(90);
    pid_t b2 = xfork();
    if (b2 == 0) {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGUSR1);
      sigprocmask(SIG_BLOCK, &set, NULL);
      prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
      int sig = -1;
      prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
      if (write(ready[1], "r", 1) != 1) _exit(90);
      siginfo_t si;
      memset(&si, 0, sizeof si);
      struct timespec ts = {30, 0};
      int got2 = sigtimedwait(&set, &si, &ts);
      char res[4] = {sig == SIGUSR1 ? 'g' : 'x', got2 == SIGUSR1 ? 's' : 'n', si.si_pid == me ? 'p' : 'o', si.si_code == SI_USER ? 'u' : '?'};
      if (write(out[1], res, 4) != 4) _exit(90);
      _exit(0);
    }
    char cc;
    if (read(ready[0], &cc, 1) != 1) _exit(90);
    _exit(0);
  }
  waitpid(a, &st, 0);
  char res[4] = {0};
  if (read(out[0], res, 4) != 4) exit(84);
  printf("PR_GET_PDEATHSIG gave SIGUSR1: %s\n", yes(res[0] == 'g'));
  printf("parent death sent SIGUSR1: %s, from the dead parent: %s, SI_USER: %s\n", yes(res[1] == 's'), yes(res[2] == 'p'), yes(res[3] == 'u'));
}

/* ---- reparent ---- */

/*
 * Who a pid is, for the reparent area's output: the program prints
 * relations, never pids.
 */
static pid_t rp_middle, rp_grand, rp_other;
static const char *rp_who(pid_t p) {
  if (p == rp_middle) return "the middle";
  if (p == rp_grand) return "the grandchild";
  if (p == rp_other) return "the other child";
  return "someone else";
}

/* The SIGCHLDs pending now (SIGCHLD is blocked), each with its siginfo, and how many. */
static void rp_sigchld(const char *when) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGCHLD);
  struct timespec zero = {0, 0};
  siginfo_t si;
  int n = 0;
  while (sigtimedwait(&s, &si, &zero) == SIGCHLD) {
    n++;
    printf("%s: SIGCHLD from %s, %s, si_status %d\n", when, rp_who(si.si_pid), code_name(si.si_code), si.si_status);
  }
  printf("%s: %d SIGCHLD\n", when, n);
}

/* A middle process that forks a grandchild ending as `how` says, lets it become a zombie and exits unwaited. */
static void rp_middle_main(int out, int how, int code) {
  pid_t g = xfork();
  if (g == 0) {
    if (how == 'k') {
      signal(SIGUSR1, SIG_DFL);
      raise(SIGUSR1);
    }
    _exit(code);
  }
  siginfo_t si;
  /* A zombie now, and left unreaped. */
  if (waitid(P_PID, g, &si, WEXITED | WNOWAIT) != 0) _exit(91);
  if (write(out, &g, sizeof g) != sizeof g) _exit(90);
  _exit(3);
}

static void rp_reap_rest(const char *who) {
  struct rusage ru;
  int st;
  errno = 0;
  pid_t got = wait4(-1, &st, WNOHANG, &ru);
  printf("%s: wait4(-1, WNOHANG) at once: %s\n", who, got > 0 ? rp_who(got) : en(errno));
  if (got > 0) {
    describe(who, st);
    printf("%s: its rusage has a peak RSS: %s\n", who, yes(ru.ru_maxrss > 0));
  }
  errno = 0;
  got = wait(&st);
  printf("%s: then: %d %s\n", who, (int)got, en(errno));
}

static void sec_reparent(void) {
  int st;
  int out[2];
  if (pipe(out) != 0) exit(88);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  printf("PR_SET_CHILD_SUBREAPER: %s\n", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? en(errno) : "ok");

  /* The middle is the subreaper's child; its zombie grandchild exited 7. */
  rp_middle = xfork();
  if (rp_middle == 0) rp_middle_main(out[1], 'e', 7);
  if (read(out[0], &rp_grand, sizeof rp_grand) != sizeof rp_grand) exit(87);
  siginfo_t si;
  /* The middle is a zombie: on Linux its zombie child had a new parent before that. */
  waitid(P_PID, rp_middle, &si, WEXITED | WNOWAIT);
  rp_sigchld("exited grandchild");
  struct rusage ru;
  pid_t first = wait4(-1, &st, 0, &ru);
  printf("exited grandchild: the first wait4(-1) reaps %s\n", rp_who(first));
  describe(rp_who(first), st);
  rp_reap_rest("exited grandchild");

  /* The same, with a grandchild killed by SIGUSR1. */
  rp_middle = xfork();
  if (rp_middle == 0) rp_middle_main(out[1], 'k', 0);
  if (read(out[0], &rp_grand, sizeof rp_grand) != sizeof rp_grand) exit(86);
  waitid(P_PID, rp_middle, &si, WEXITED | WNOWAIT);
  rp_sigchld("killed grandchild");
  waitpid(rp_middle, &st, 0);
  describe("killed grandchild: the middle", st);
  errno = 0;
  memset(&si, 0, sizeof si);
  int r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
  printf("killed grandchild: waitid(P_ALL, WNOWAIT) at once: %d, %s, %s, si_status %d\n", r, rp_who(si.si_pid), code_name(si.si_code), si.si_status);
  rp_reap_rest("killed grandchild");

  /*
   * The subreaper is the grandparent of the middle: the middle's parent (no
   * subreaper) reaps the middle and exits with its status; the zombie
   * grandchild comes here, past it.
   */
  rp_other = xfork();
  if (rp_other == 0) {
    pid_t m = xfork();
    if (m == 0) rp_middle_main(out[1], 'e', 9);
    int mst;
    if (waitpid(m, &mst, 0) != m) _exit(92);
    _exit(WIFEXITED(mst) ? 40 + WEXITSTATUS(mst) : 99);
  }
  if (read(out[0], &rp_grand, sizeof rp_grand) != sizeof rp_grand) exit(85);
  waitid(P_PID, rp_other, &si, WEXITED | WNOWAIT);
  rp_sigchld("past a parent");
  waitpid(rp_other, &st, 0);
  describe("past a parent: the other child", st);
  rp_reap_rest("past a parent");

  /* No subreaper: init has the zombie, out of sight. */
  prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  rp_middle = xfork();
  if (rp_middle == 0) rp_middle_main(out[1], 'e', 7);
  if (read(out[0], &rp_grand, sizeof rp_grand) != sizeof rp_grand) exit(84);
  waitid(P_PID, rp_middle, &si, WEXITED | WNOWAIT);
  rp_sigchld("no subreaper");
  waitpid(rp_middle, &st, 0);
  describe("no subreaper: the middle", st);
  rp_reap_rest("no subreaper");
  sigprocmask(SIG_UNBLOCK, &chld, NULL);
}

/* ---- proc ---- */

static void print_bytes(const char *what, const char *path) {
  char buf[8192];
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("%s: %s\n", what, en(errno));
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) n = 0;
  buf[n] = 0;
  /* The executable's own path reads as SELF (it differs between the builds). */
  printf("%s: ", what);
  size_t sl = strlen(self);
  for (ssize_t i = 0; i < n;) {
    if ((size_t)(n - i) >= sl && memcmp(buf + i, self, sl) == 0) {
      fputs("SELF", stdout);
      i += (ssize_t)sl;
      continue;
    }
    putchar(buf[i] == 0 ? '|' : buf[i]);
    i++;
  }
  putchar('\n');
}

static void print_link(const char *what, const char *path) {
  char buf[4096];
  ssize_t n = readlink(path, buf, sizeof buf - 1);
  if (n < 0) {
    printf("%s: %s\n", what, en(errno));
    return;
  }
  buf[n] = 0;
  printf("%s: %s\n", what, strcmp(buf, self) == 0 ? "SELF" : buf);
}

static void sec_proc(void) {
  int st;
  int go[2], ready[2];
  char path[128], line[256];
  if (pipe(go) != 0 || pipe(ready) != 0) exit(83);
  pid_t p = xfork();
  if (p == 0) {
    close(go[1]);
    close(ready[0]);
    dup2(go[0], 0);
    dup2(ready[1], 1);
    char *argv[] = {self, "proc-child", "a b", "c", NULL};
    char *envp[] = {"PROCS_TEST=1", "X=y z", NULL};
    execve(self, argv, envp);
    _exit(127);
  }
  close(go[0]);
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 1) exit(82);
  msleep(300);
  snprintf(path, sizeof path, "/proc/%d/cmdline", (int)p);
  print_bytes("cmdline after execve", path);
  snprintf(path, sizeof path, "/proc/%d/environ", (int)p);
  print_bytes("environ after execve", path);
  snprintf(path, sizeof path, "/proc/%d/comm", (int)p);
  print_bytes("comm", path);
  snprintf(path, sizeof path, "/proc/%d/exe", (int)p);
  print_link("exe", path);
  snprintf(path, sizeof path, "/proc/%d/cwd", (int)p);
  print_link("cwd", path);
  snprintf(path, sizeof path, "/proc/%d/fd/7", (int)p);
  print_link("fd 7", path);
  snprintf(path, sizeof path, "/proc/%d/fd/9", (int)p);
  print_link("fd 9 (closed)", path);
  status_line(p, "State:", line, sizeof line);
  printf("State: %s\n", line);
  status_line(p, "PPid:", line, sizeof line);
  printf("PPid is us: %s\n", yes(atoi(line) == getpid()));
  status_line(p, "Tgid:", line, sizeof line);
  printf("Tgid is the child: %s\n", yes(atoi(line) == p));
  status_line(p, "Uid:", line, sizeof line);
  printf("Uid: %s\n", line);
  printf("stat state: %c\n", proc_state(p));
  kill(p, SIGSTOP);
  waitpid(p, &st, WUNTRACED);
  msleep(100);
  printf("stat state when stopped: %c\n", proc_state(p));
  kill(p, SIGCONT);
  waitpid(p, &st, WCONTINUED);
  int listed = 0;
  DIR *d = opendir("/proc");
  char name[32];
  snprintf(name, sizeof name, "%d", (int)p);
  for (struct dirent *e; d && (e = readdir(d));)
    if (strcmp(e->d_name, name) == 0) listed = 1;
  if (d) closedir(d);
  printf("ls /proc lists the child: %s\n", yes(listed));
  kill(p, SIGTERM);
  waitpid(p, &st, 0);
  describe("proc child", st);
  printf("/proc/<reaped>: %c\n", proc_state(p));
  snprintf(path, sizeof path, "/proc/%d/stat", (int)getpid());
  printf("/proc/<own pid> is /proc/self: %s\n", yes(access(path, R_OK) == 0));
}

static int proc_child(void) {
  /* stdin: the parent's go pipe, stdout: its ready pipe. */
  if (chdir("/tmp") != 0) return 80;
  int fd = open("/dev/null", O_RDONLY);
  dup2(fd, 7);
  close(fd);
  prctl(PR_SET_NAME, "renamed", 0, 0, 0);
  msleep(50); /* settled: elfuse shows another process the changes it made once it waits or time passes */
  if (write(1, "r", 1) != 1) return 79;
  for (;;) pause(); /* until the parent's SIGTERM */
}

/* ---- pidfd ---- */

static int pidfd_open_(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal_(int fd, int sig, siginfo_t *info, unsigned flags) { return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags); }

static void sec_pidfd(void) {
  int st;
  siginfo_t si;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int ack[2];
  if (pipe(ack) != 0) exit(77);
  pid_t p = xfork();
  if (p == 0) {
    for (int i = 0; i < 2; i++) {
      siginfo_t ci;
      memset(&ci, 0, sizeof ci);
      sigwaitinfo(&set, &ci);
      printf("child got %s: code=%s pid=%s value=%d\n", sigabbrev_np(ci.si_signo), code_name(ci.si_code), ci.si_pid == getppid() ? "parent" : "other",
             ci.si_code == SI_QUEUE ? ci.si_value.sival_int : -1);
      fflush(stdout);
      if (write(ack[1], "a", 1) != 1) _exit(90);
    }
    _exit(3);
  }
  char a;
  int fd = pidfd_open_(p, 0);
  printf("pidfd_open: %s, close-on-exec: %s\n", fd < 0 ? en(errno) : "ok", yes(fcntl(fd, F_GETFD) & FD_CLOEXEC));
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("its /proc/self/fd link: %s\n", buf);
  int sent = pidfd_send_signal_(fd, SIGUSR1, NULL, 0);
  if (read(ack[0], &a, 1) != 1) exit(76);
  result("pidfd_send_signal", sent);
  memset(&si, 0, sizeof si);
  si.si_signo = SIGUSR2;
  si.si_code = SI_QUEUE;
  si.si_pid = getpid();
  si.si_uid = getuid();
  si.si_value.sival_int = 99;
  printf("pidfd_send_signal with a siginfo of another signal: %s\n", pidfd_send_signal_(fd, SIGUSR1, &si, 0) < 0 ? en(errno) : "ok");
  si.si_code = SI_USER;
  printf("pidfd_send_signal with SI_USER: %s\n", pidfd_send_signal_(fd, SIGUSR2, &si, 0) < 0 ? en(errno) : "ok");
  si.si_code = SI_QUEUE;
  sent = pidfd_send_signal_(fd, SIGUSR2, &si, 0);
  if (read(ack[0], &a, 1) != 1) exit(75);
  result("pidfd_send_signal with a siginfo", sent);
  printf("pidfd_send_signal unknown flag: %s\n", pidfd_send_signal_(fd, SIGUSR1, NULL, 8) < 0 ? en(errno) : "ok");
  printf("pidfd_send_signal two flags: %s\n", pidfd_send_signal_(fd, SIGUSR1, NULL, 3) < 0 ? en(errno) : "ok");
  printf("pidfd_send_signal on stdin: %s\n", pidfd_send_signal_(0, SIGUSR1, NULL, 0) < 0 ? en(errno) : "ok");
  memset(&si, 0, sizeof si);
  int r = waitid(P_PIDFD, fd, &si, WEXITED);
  printf("waitid(P_PIDFD): r=%d code=%s status=%d pid=%s\n", r, code_name(si.si_code), si.si_status, si.si_pid == p ? "child" : "other");
  printf("pidfd_send_signal after the reap: %s\n", pidfd_send_signal_(fd, SIGUSR1, NULL, 0) < 0 ? en(errno) : "ok");
  printf("waitid(P_PIDFD) after the reap: %s\n", waitid(P_PIDFD, fd, &si, WEXITED) < 0 ? en(errno) : "ok");
  printf("waitid(P_PIDFD) of stdin: %s\n", waitid(P_PIDFD, 0, &si, WEXITED) < 0 ? en(errno) : "ok");
  close(fd);
  printf("pidfd_open of the reaped child: %s\n", pidfd_open_(p, 0) < 0 ? en(errno) : "ok");
  printf("pidfd_open(-1): %s\n", pidfd_open_(-1, 0) < 0 ? en(errno) : "ok");
  printf("pidfd_open bad flags: %s\n", pidfd_open_(getpid(), 1) < 0 ? en(errno) : "ok");

  /* pidfd_getfd of our own fd: a duplicate, close-on-exec. */
  int me = pidfd_open_(getpid(), 0);
  int dup = (int)syscall(SYS_pidfd_getfd, me, 1, 0);
  printf("pidfd_getfd of our stdout: %s, close-on-exec: %s\n", dup < 0 ? en(errno) : "ok", yes(fcntl(dup, F_GETFD) & FD_CLOEXEC));
  printf("pidfd_getfd flags 1: %s\n", syscall(SYS_pidfd_getfd, me, 1, 1) < 0 ? en(errno) : "ok");
  printf("pidfd_getfd of a closed fd: %s\n", syscall(SYS_pidfd_getfd, me, 999, 0) < 0 ? en(errno) : "ok");
  close(dup);
  close(me);

  /* CLONE_PIDFD: clone3's pidfd field, and clone's parent_tid. */
  int pfd = -1;
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_PIDFD;
  args.pidfd = (uint64_t)(uintptr_t)&pfd;
  args.exit_signal = SIGCHLD;
  fflush(stdout);
  long c = syscall(SYS_clone3, &args, sizeof args);
  if (c == 0) _exit(8);
  printf("clone3 CLONE_PIDFD: %s, a new fd: %s\n", c < 0 ? en(errno) : "ok", yes(pfd > 2));
  memset(&si, 0, sizeof si);
  waitid(P_PIDFD, pfd, &si, WEXITED);
  printf("waitid on it: status=%d pid=%s\n", si.si_status, si.si_pid == c ? "child" : "other");
  close(pfd);
  pfd = -1;
  fflush(stdout);
  c = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pfd, 0, 0);
  if (c == 0) _exit(9);
  printf("clone CLONE_PIDFD: %s, a new fd: %s\n", c < 0 ? en(errno) : "ok", yes(pfd > 2));
  memset(&si, 0, sizeof si);
  waitid(P_PIDFD, pfd, &si, WEXITED);
  printf("waitid on it: status=%d pid=%s\n", si.si_status, si.si_pid == c ? "child" : "other");
  close(pfd);
  printf("clone CLONE_PIDFD|CLONE_PARENT_SETTID: %s\n", syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pfd, 0, 0) < 0 ? en(errno) : "ok");
  (void)st;
}

/* A child stopping itself over and over, continued by its parent as soon as wait reports each stop:
 * every SIGCONT finds the child stopped (Linux reports a stop only once it happened), so none is lost. */
static void sec_stopcont(void) {
  enum { ROUNDS = 100 };
  int fds[2];
  if (pipe(fds) != 0) exit(98);
  pid_t p = xfork();
  if (p == 0) {
    /* The next stop only after the parent saw the continue: a new stop would replace its report. */
    char c;
    for (int i = 0; i < ROUNDS; i++) {
      raise(SIGSTOP);
      if (read(fds[0], &c, 1) != 1) _exit(90);
    }
    _exit(5);
  }
  int stops = 0, conts = 0, st;
  for (int i = 0; i < ROUNDS; i++) {
    if (waitpid(p, &st, WUNTRACED) == p && WIFSTOPPED(st)) stops++;
    kill(p, SIGCONT);
    if (waitpid(p, &st, WCONTINUED) == p && WIFCONTINUED(st)) conts++;
    if (write(fds[1], "x", 1) != 1) exit(97);
  }
  waitpid(p, &st, 0);
  printf("stops seen %d, continues seen %d, then %s %d\n", stops, conts, WIFEXITED(st) ? "exited" : "other", WEXITSTATUS(st));
}

/* ---- peers: signals between processes that are neither parent nor child carry their siginfo ---- */

static void sec_peers(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGRTMIN + 1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int topipe[2], ack[2];
  if (pipe(topipe) != 0 || pipe(ack) != 0) exit(80);
  pid_t receiver = xfork();
  if (receiver == 0) {
    pid_t sender = 0;
    if (read(topipe[0], &sender, sizeof sender) != sizeof sender) _exit(81);
    /* Running: the sender starts only now (elfuse: a process just forked may not take a
       sibling's signal with its siginfo until its guest runs; see issue notes). */
    if (write(ack[1], "r", 1) != 1) _exit(86);
    for (int i = 0; i < 2; i++) {
      siginfo_t si;
      memset(&si, 0, sizeof si);
      sigwaitinfo(&set, &si);
      printf("receiver got %s: code=%s pid=%s uid=%s value=%d\n", si.si_signo == SIGRTMIN + 1 ? "RTMIN+1" : sigabbrev_np(si.si_signo), code_name(si.si_code),
             si.si_pid == sender ? "its sibling" : "other", si.si_uid == getuid() ? "ours" : "other", si.si_code == SI_QUEUE ? si.si_value.sival_int : -1);
      fflush(stdout);
      if (write(ack[1], "a", 1) != 1) _exit(82);
    }
    _exit(0);
  }
  pid_t sender = xfork();
  if (sender == 0) {
    char c;
    union sigval v = {.sival_int = 99};
    /* Each result is printed once the receiver has said it got the signal: one order of lines. */
    if (read(ack[0], &c, 1) != 1) _exit(87);
    const char *r = sigqueue(receiver, SIGRTMIN + 1, v) < 0 ? en(errno) : "ok";
    if (read(ack[0], &c, 1) != 1) _exit(83);
    printf("sigqueue to a sibling: %s\n", r);
    fflush(stdout);
    r = kill(receiver, SIGUSR2) < 0 ? en(errno) : "ok";
    if (read(ack[0], &c, 1) != 1) _exit(84);
    printf("kill to a sibling: %s\n", r);
    fflush(stdout);
    _exit(0);
  }
  if (write(topipe[1], &sender, sizeof sender) != sizeof sender) exit(85);
  int st;
  waitpid(sender, &st, 0);
  describe("sender", st);
  waitpid(receiver, &st, 0);
  describe("receiver", st);
}

/* ---- reuse: each child begins as its parent made it, whatever an earlier child did ---- */

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sec_reuse(void) {
  for (int round = 0; round < 3; round++) {
    /* The parent's umask when it forks is the child's, even in a process started before it changed. */
    if (round == 2) umask(027);
    pid_t p = xfork();
    if (p == 0) {
      double start = cpu_seconds();
      struct rusage ru;
      getrusage(RUSAGE_SELF, &ru);
      double ru_start = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
      mode_t mask = umask(0);
      struct sigaction sa;
      sigaction(SIGTTOU, NULL, &sa);
      int pdeath = -1;
      prctl(PR_GET_PDEATHSIG, &pdeath);
      printf("child %d: umask %03o, SIGTTOU %s, pdeathsig %d, CPU time at its start below 0.8 s: %s (rusage %s)\n", round, (unsigned)mask,
             sa.sa_handler == SIG_IGN ? "ignored" : "default", pdeath, yes(start < 0.8), yes(ru_start < 0.8));
      /* What it leaves behind for whoever comes next: */
      umask(077);
      signal(SIGTTOU, SIG_IGN);
      prctl(PR_SET_PDEATHSIG, SIGUSR1);
      volatile unsigned long x = 0;
      while (cpu_seconds() - start < 1.0) x++;
      _exit(10 + round);
    }
    int st;
    struct rusage ru;
    if (wait4(p, &st, 0, &ru) != p) exit(98);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("child %d: exited %d, its CPU time between 1 and 5 s: %s\n", round, WEXITSTATUS(st), yes(cpu >= 1.0 && cpu < 5.0));
  }
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0) return 2;
  self[n] = 0;
  if (argc < 2) return 2;
  const char *what = argv[1];
  if (!strcmp(what, "exit")) return argc > 2 ? atoi(argv[2]) : 0;
  if (!strcmp(what, "ran")) return 200;
  if (!strcmp(what, "vfork-child")) {
    msleep(500);
    return 6;
  }
  if (!strcmp(what, "exit-on-stdin")) {
    char c;
    if (write(1, "r", 1) != 1) return 1;
    return read(0, &c, 1) == 0 ? 0 : 1;
  }
  if (!strcmp(what, "proc-child")) return proc_child();
  if (!strcmp(what, "spawned")) return spawned_main(argc, argv);
  if (!strncmp(what, "argv-dump", 9)) {
    printf("script argv[1]: [%s]\n", argv[1]);
    for (int i = 2; i < argc; i++) printf("script argv[%d]: %s\n", i, strstr(argv[i], "/script") ? "the script's path" : argv[i]);
    printf("script argv[0] is the interpreter: %s\n", yes(strcmp(argv[0], self) == 0));
    return 0;
  }
  snprintf(scratch, sizeof scratch, "%s", argc > 2 ? argv[2] : "/tmp");
  if (!strcmp(what, "wait")) sec_wait();
  else if (!strcmp(what, "stopcont")) sec_stopcont();
  else if (!strcmp(what, "vfork")) sec_vfork();
  else if (!strcmp(what, "spawn")) sec_spawn();
  else if (!strcmp(what, "exec")) sec_exec();
  else if (!strcmp(what, "exec-host")) sec_exec_host();
  else if (!strcmp(what, "signals")) sec_signals();
  else if (!strcmp(what, "killall")) sec_killall();
  else if (!strcmp(what, "pgrp")) sec_pgrp();
  else if (!strcmp(what, "zombie")) sec_zombie();
  else if (!strcmp(what, "orphan")) sec_orphan();
  else if (!strcmp(what, "reparent")) sec_reparent();
  else if (!strcmp(what, "proc")) sec_proc();
  else if (!strcmp(what, "pidfd")) sec_pidfd();
  else if (!strcmp(what, "reuse")) sec_reuse();
  else if (!strcmp(what, "peers")) sec_peers();
  else return 2;
  return 0;
}
