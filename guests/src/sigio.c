/*
 * sigio.c: signal-driven I/O. fcntl's F_SETOWN, F_SETOWN_EX, F_SETSIG and
 * their F_GET* twins with their errors, and O_ASYNC on pipes, a socket
 * pair, a pseudo-terminal and an eventfd (which has no fasync in Linux):
 * SIGIO (SI_KERNEL) or the F_SETSIG signal with POLL_IN/POLL_OUT, si_band
 * and si_fd, to a process or to one thread, from this process's own
 * writes (signalled before write returns) and from another process's. The
 * output does not depend on timing, so elfuse's must equal the same source
 * built with gcc and run on this machine's kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t count;
static volatile int last_sig, last_code, last_fd, last_tid;
static volatile long last_band;

static void on_signal(int sig, siginfo_t *si, void *ctx) {
  (void)ctx;
  count++;
  last_sig = sig;
  last_code = si->si_code;
  last_fd = si->si_code > 0 ? si->si_fd : -1;
  last_band = si->si_code > 0 ? si->si_band : -1;
  last_tid = (int)syscall(SYS_gettid);
}

static void show(const char *label, long r) {
  if (r < 0) printf("%s: -1 %s\n", label, strerrorname_np(errno));
  else printf("%s: %ld\n", label, r);
  fflush(stdout);
}

static void reset(void) { count = 0, last_sig = 0, last_code = 0, last_fd = -1, last_band = -1; }

/** What the last signal was, with si_fd named relative to `fd` (fd numbers are the same on both kernels anyway). */
static void seen(const char *label, int fd) {
  printf("%s: %d signal(s)", label, (int)count);
  if (count > 0) {
    printf(", %s code %#x", sigabbrev_np(last_sig) ? sigabbrev_np(last_sig) : "RT", last_code);
    if (last_code > 0) printf(" band %#lx fd %s", last_band, last_fd == fd ? "the registered one" : "another");
  }
  printf("\n");
  fflush(stdout);
}

/** Waits up to 5 s for `want` signals (another process or the terminal driver signals asynchronously). */
static void await_count(int want) {
  for (int i = 0; i < 5000 && count < want; i++) usleep(1000);
}

static void owner_api(void) {
  int p[2];
  pipe(p);
  struct f_owner_ex o = {99, 99};
  show("F_GETOWN_EX before any owner", fcntl(p[0], F_GETOWN_EX, &o));
  printf("  type %d pid %d\n", o.type, o.pid);
  show("F_GETOWN before any owner", fcntl(p[0], F_GETOWN));
  show("F_GETSIG before any", fcntl(p[0], F_GETSIG));
  show("F_SETOWN 0", fcntl(p[0], F_SETOWN, 0));
  fcntl(p[0], F_GETOWN_EX, &o);
  printf("  F_GETOWN_EX type %d pid %d\n", o.type, o.pid);
  show("F_SETOWN self", fcntl(p[0], F_SETOWN, getpid()));
  printf("  F_GETOWN is self: %s\n", fcntl(p[0], F_GETOWN) == getpid() ? "yes" : "no");
  fcntl(p[0], F_GETOWN_EX, &o);
  printf("  F_GETOWN_EX type %d, pid is self: %s\n", o.type, o.pid == getpid() ? "yes" : "no");
  show("F_SETOWN of a pid that does not exist", fcntl(p[0], F_SETOWN, 3999999));
  show("F_SETOWN of a group that does not exist", fcntl(p[0], F_SETOWN, -3999999));
  show("F_SETOWN INT_MIN", fcntl(p[0], F_SETOWN, INT32_MIN));
  show("F_SETOWN of our own group", fcntl(p[0], F_SETOWN, -getpgrp()));
  printf("  F_GETOWN is minus our group: %s\n", fcntl(p[0], F_GETOWN) == -getpgrp() ? "yes" : "no");
  o = (struct f_owner_ex){F_OWNER_TID, (int)syscall(SYS_gettid)};
  show("F_SETOWN_EX F_OWNER_TID self", fcntl(p[0], F_SETOWN_EX, &o));
  o = (struct f_owner_ex){99, 99};
  fcntl(p[0], F_GETOWN_EX, &o);
  printf("  F_GETOWN_EX type %d, pid is our tid: %s\n", o.type, o.pid == (int)syscall(SYS_gettid) ? "yes" : "no");
  o = (struct f_owner_ex){3, 0};
  show("F_SETOWN_EX type 3", fcntl(p[0], F_SETOWN_EX, &o));
  o = (struct f_owner_ex){F_OWNER_PID, -5};
  show("F_SETOWN_EX pid -5", fcntl(p[0], F_SETOWN_EX, &o));
  o = (struct f_owner_ex){F_OWNER_PID, 3999999};
  show("F_SETOWN_EX a pid that does not exist", fcntl(p[0], F_SETOWN_EX, &o));
  show("F_SETOWN_EX bad pointer", fcntl(p[0], F_SETOWN_EX, (void *)8));
  show("F_GETOWN_EX bad pointer", fcntl(p[0], F_GETOWN_EX, (void *)8));
  show("F_SETSIG 65", fcntl(p[0], F_SETSIG, 65));
  show("F_SETSIG -1", fcntl(p[0], F_SETSIG, -1));
  show("F_SETSIG 64", fcntl(p[0], F_SETSIG, 64));
  show("F_GETSIG", fcntl(p[0], F_GETSIG));
  show("F_SETSIG 0", fcntl(p[0], F_SETSIG, 0));
  show("F_SETFL O_ASYNC", fcntl(p[0], F_SETFL, O_ASYNC));
  printf("  F_GETFL has O_ASYNC: %s\n", fcntl(p[0], F_GETFL) & O_ASYNC ? "yes" : "no");
  // A dup shares the owner (it is the description's).
  int d = dup(p[0]);
  fcntl(p[0], F_SETOWN, getpid());
  printf("  the dup's F_GETOWN is self: %s\n", fcntl(d, F_GETOWN) == getpid() ? "yes" : "no");
  close(d);
  close(p[0]);
  close(p[1]);
}

static void pipes(void) {
  int p[2];
  char buf[8192];
  pipe(p);
  fcntl(p[0], F_SETOWN, getpid());
  reset();
  fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK);
  seen("pipe: O_ASYNC set", p[0]);
  write(p[1], "a", 1);
  seen("pipe: after a write", p[0]);
  write(p[1], "b", 1);
  seen("pipe: after a second write, nothing read", p[0]);
  read(p[0], buf, sizeof buf);
  seen("pipe: after the read", p[0]);
  reset();
  fcntl(p[0], F_SETSIG, SIGRTMIN);
  write(p[1], "c", 1);
  seen("pipe F_SETSIG SIGRTMIN: after a write", p[0]);
  read(p[0], buf, sizeof buf);
  // The registration stays with the description when the fd it was made through is closed.
  int d = dup(p[0]);
  close(p[0]);
  reset();
  write(p[1], "d", 1);
  seen("pipe: after the registered fd was closed (a dup remains)", p[0]);
  read(d, buf, sizeof buf);
  // O_ASYNC off: nothing.
  fcntl(d, F_SETFL, O_NONBLOCK);
  reset();
  write(p[1], "e", 1);
  seen("pipe: O_ASYNC cleared, a write", d);
  read(d, buf, sizeof buf);

  // The write end: POLL_OUT when the reader makes room.
  fcntl(p[1], F_SETOWN, getpid());
  fcntl(p[1], F_SETSIG, SIGRTMIN + 1);
  fcntl(p[1], F_SETFL, O_ASYNC | O_NONBLOCK);
  reset();
  memset(buf, 'x', sizeof buf);
  int total = 0;
  while (write(p[1], buf, 4096) == 4096) total += 4096;
  printf("pipe write end: filled with %d bytes\n", total);
  seen("pipe write end: while filling", p[1]);
  read(d, buf, 4096);
  seen("pipe write end: after the reader took a page", p[1]);
  close(d);
  close(p[1]);
}

static void from_child(void) {
  int p[2];
  char c;
  pipe(p);
  fcntl(p[0], F_SETOWN, getpid());
  fcntl(p[0], F_SETSIG, SIGRTMIN + 2);
  fcntl(p[0], F_SETFL, O_ASYNC);
  reset();
  pid_t pid = fork();
  if (pid == 0) {
    usleep(50000);
    write(p[1], "z", 1);
    _exit(0);
  }
  await_count(1);
  seen("pipe: after a child process wrote", p[0]);
  waitpid(pid, NULL, 0);
  read(p[0], &c, 1);
  close(p[0]);
  close(p[1]);
}

/** A process group as the owner, in a child that made a group of its own (the signal goes to every member). */
static void group_owner(void) {
  pid_t pid = fork();
  if (pid == 0) {
    int p[2];
    setpgid(0, 0);
    pipe(p);
    reset();
    fcntl(p[0], F_SETOWN, -getpgrp());
    fcntl(p[0], F_SETFL, O_ASYNC);
    write(p[1], "g", 1);
    await_count(1);
    _exit(count == 1 && last_sig == SIGIO ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  printf("process group owner: SIGIO to the group's process: %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no");
  // An owner that ended: F_GETOWN reports it while it is a zombie, 0 once reaped.
  int q[2];
  pipe(q);
  pid = fork();
  if (pid == 0) _exit(0);
  fcntl(q[0], F_SETOWN, pid);
  usleep(50000);
  printf("owner a zombie: F_GETOWN is its pid: %s\n", fcntl(q[0], F_GETOWN) == pid ? "yes" : "no");
  waitpid(pid, NULL, 0);
  show("owner reaped: F_GETOWN", fcntl(q[0], F_GETOWN));
  close(q[0]);
  close(q[1]);
  fflush(stdout);
}

static int thread_pipe[2];
static atomic_int registered;
static atomic_int thread_tid;

static void *owner_thread(void *arg) {
  (void)arg;
  struct f_owner_ex o = {F_OWNER_TID, (int)syscall(SYS_gettid)};
  atomic_store(&thread_tid, o.pid);
  fcntl(thread_pipe[0], F_SETOWN_EX, &o);
  fcntl(thread_pipe[0], F_SETSIG, SIGRTMIN + 3);
  fcntl(thread_pipe[0], F_SETFL, O_ASYNC);
  atomic_store(&registered, 1);
  await_count(1);
  return NULL;
}

static void thread_owner(void) {
  pthread_t t;
  pipe(thread_pipe);
  reset();
  pthread_create(&t, NULL, owner_thread, NULL);
  while (!atomic_load(&registered)) usleep(1000);
  write(thread_pipe[1], "t", 1);
  pthread_join(t, NULL);
  printf("F_OWNER_TID: %d signal(s), handled by the owner thread: %s\n", (int)count, last_tid == atomic_load(&thread_tid) ? "yes" : "no");
  fflush(stdout);
  close(thread_pipe[0]);
  close(thread_pipe[1]);
}

static void sockets(void) {
  int s[2];
  char buf[64];
  socketpair(AF_UNIX, SOCK_STREAM, 0, s);
  fcntl(s[0], F_SETOWN, getpid());
  fcntl(s[0], F_SETSIG, SIGRTMIN + 4);
  reset();
  fcntl(s[0], F_SETFL, O_ASYNC | O_NONBLOCK);
  seen("socket: O_ASYNC set", s[0]);
  write(s[1], "hello", 5);
  seen("socket: after the peer wrote", s[0]);
  read(s[0], buf, sizeof buf);
  seen("socket: after the read", s[0]);
  reset();
  write(s[1], "again", 5);
  seen("socket: the peer wrote again", s[0]);
  close(s[0]);
  close(s[1]);
}

static void terminal(void) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  grantpt(m);
  unlockpt(m);
  int s = open(ptsname(m), O_RDWR | O_NOCTTY);
  fcntl(m, F_SETOWN, getpid());
  fcntl(m, F_SETSIG, SIGRTMIN + 5);
  reset();
  fcntl(m, F_SETFL, O_ASYNC);
  write(s, "tty\n", 4);
  await_count(1);
  printf("pty master: signalled after the slave wrote: %s, code %#x, fd %s\n", count > 0 ? "yes" : "no", last_code,
         last_fd == m ? "the master" : "another");
  fflush(stdout);
  close(s);
  close(m);
}

static void eventfds(void) {
  int e = eventfd(0, EFD_NONBLOCK);
  fcntl(e, F_SETOWN, getpid());
  reset();
  show("eventfd: F_SETFL O_ASYNC", fcntl(e, F_SETFL, O_ASYNC | O_NONBLOCK));
  printf("  F_GETFL has O_ASYNC: %s\n", fcntl(e, F_GETFL) & O_ASYNC ? "yes" : "no");
  uint64_t v = 1;
  write(e, &v, sizeof v);
  seen("eventfd: after a write (no fasync)", e);
  close(e);
}

int main(void) {
  struct sigaction sa = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGIO, &sa, NULL);
  for (int i = 0; i <= 5; i++) sigaction(SIGRTMIN + i, &sa, NULL);
  owner_api();
  pipes();
  from_child();
  group_owner();
  thread_owner();
  sockets();
  terminal();
  eventfds();
  return 0;
}
