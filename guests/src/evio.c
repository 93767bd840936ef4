/*
 * evio: eventfd, epoll, timerfd, signalfd and poll on them, edge by edge.
 * Each case prints what it sees; the output does not depend on timing, so
 * elfuse's must equal the native kernel's (the same source built with gcc).
 *   evio eventfd | epoll | timerfd | signalfd | poll | fork | all
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SHOW(label, expr)                                                    \
  do {                                                                       \
    long r_ = (long)(expr);                                                  \
    if (r_ < 0) printf("%s = -1 %s\n", label, strerrorname_np(errno));       \
    else printf("%s = %ld\n", label, r_);                                    \
    fflush(stdout);                                                          \
  } while (0)

static long rd64(int fd, uint64_t *v) { return read(fd, v, sizeof *v); }
static long wr64(int fd, uint64_t v) { return write(fd, &v, sizeof v); }

static void show_events(const char *label, struct epoll_event *ev, int n) {
  printf("%s: %d", label, n);
  for (int i = 0; i < n; i++) printf(" [%llu:%#x]", (unsigned long long)ev[i].data.u64, ev[i].events);
  printf("\n");
  fflush(stdout);
}

static void t_eventfd(void) {
  uint64_t v = 0;
  int fd = eventfd(3, EFD_NONBLOCK);
  SHOW("read", rd64(fd, &v));
  printf("value %llu\n", (unsigned long long)v);
  SHOW("read empty", rd64(fd, &v));
  SHOW("short read", read(fd, &v, 4));
  SHOW("short write", write(fd, &v, 4));
  SHOW("write max", wr64(fd, UINT64_MAX));
  SHOW("write big", wr64(fd, UINT64_MAX - 1));
  SHOW("write more", wr64(fd, 1));
  SHOW("read", rd64(fd, &v));
  printf("value %llu\n", (unsigned long long)v);
  close(fd);
  fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
  SHOW("cloexec", fcntl(fd, F_GETFD));
  SHOW("flags nonblock", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  SHOW("sem read", rd64(fd, &v));
  printf("value %llu\n", (unsigned long long)v);
  SHOW("sem read", rd64(fd, &v));
  SHOW("sem read empty", rd64(fd, &v));
  close(fd);
  SHOW("bad flags", eventfd(0, 0x40));
  fd = eventfd(0, 0);
  struct stat st;
  fstat(fd, &st);
  printf("mode %o size %lld\n", st.st_mode, (long long)st.st_size);
  char link[64] = {0}, path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  SHOW("readlink", readlink(path, link, sizeof link - 1));
  printf("link %s\n", link);
  /* A blocking read woken by a write from a child process is a fork case; here a signal ends it. */
  close(fd);
}

static void t_epoll(void) {
  struct epoll_event ev, out[8];
  int ep = epoll_create1(EPOLL_CLOEXEC);
  SHOW("epoll cloexec", fcntl(ep, F_GETFD));
  SHOW("create1 bad", epoll_create1(1));
  int e1 = eventfd(0, EFD_NONBLOCK), e2 = eventfd(0, EFD_NONBLOCK);
  int p[2];
  pipe2(p, O_NONBLOCK);
  ev.events = EPOLLIN;
  ev.data.u64 = 1;
  SHOW("add e1", epoll_ctl(ep, EPOLL_CTL_ADD, e1, &ev));
  SHOW("add e1 again", epoll_ctl(ep, EPOLL_CTL_ADD, e1, &ev));
  SHOW("add self", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
  SHOW("mod missing", epoll_ctl(ep, EPOLL_CTL_MOD, e2, &ev));
  SHOW("del missing", epoll_ctl(ep, EPOLL_CTL_DEL, e2, NULL));
  SHOW("bad op", epoll_ctl(ep, 7, e1, &ev));
  SHOW("not epoll", epoll_ctl(e1, EPOLL_CTL_ADD, e2, &ev));
  SHOW("bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev));
  int reg = open("/proc/self/exe", O_RDONLY);
  int tmp = open("/", O_RDONLY | O_DIRECTORY);
  SHOW("regular file", epoll_ctl(ep, EPOLL_CTL_ADD, tmp, &ev));
  close(tmp);
  close(reg);
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = 2;
  SHOW("add e2 et", epoll_ctl(ep, EPOLL_CTL_ADD, e2, &ev));
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = 3;
  SHOW("add pipe", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  int n = epoll_wait(ep, out, 8, 0);
  show_events("nothing", out, n);
  wr64(e1, 1);
  wr64(e2, 1);
  n = epoll_wait(ep, out, 8, 0);
  show_events("both", out, n);
  n = epoll_wait(ep, out, 8, 0);
  show_events("lt again, et quiet", out, n);
  wr64(e2, 1);
  n = epoll_wait(ep, out, 8, 0);
  show_events("et after write", out, n);
  n = epoll_wait(ep, out, 1, 0);
  show_events("max 1", out, n);
  n = epoll_wait(ep, out, 1, 0);
  show_events("max 1 rotates", out, n);
  write(p[1], "x", 1);
  n = epoll_wait(ep, out, 8, 0);
  show_events("pipe", out, n);
  uint64_t v;
  rd64(e1, &v);
  char c;
  read(p[0], &c, 1);
  close(p[1]);
  n = epoll_wait(ep, out, 8, 0);
  show_events("pipe writer gone", out, n);
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = 4;
  SHOW("mod e1 oneshot", epoll_ctl(ep, EPOLL_CTL_MOD, e1, &ev));
  SHOW("del pipe", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  wr64(e1, 5);
  n = epoll_wait(ep, out, 8, 0);
  show_events("oneshot", out, n);
  n = epoll_wait(ep, out, 8, 0);
  show_events("oneshot spent", out, n);
  SHOW("rearm", epoll_ctl(ep, EPOLL_CTL_MOD, e1, &ev));
  n = epoll_wait(ep, out, 8, 0);
  show_events("rearmed", out, n);
  /* A registration follows the description: dup, close the original, still there. */
  ev.events = EPOLLIN;
  SHOW("mod e1 level", epoll_ctl(ep, EPOLL_CTL_MOD, e1, &ev));
  int d = dup(e1);
  close(e1);
  n = epoll_wait(ep, out, 8, 0);
  show_events("after close of dup'd fd", out, n);
  SHOW("del by dup", epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL));
  ev.events = EPOLLIN;
  ev.data.u64 = 5;
  SHOW("add dup", epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev));
  close(d);
  n = epoll_wait(ep, out, 8, 0);
  show_events("last ref closed", out, n);
  /* EPOLLEXCLUSIVE */
  int e3 = eventfd(1, 0);
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.u64 = 6;
  SHOW("add exclusive", epoll_ctl(ep, EPOLL_CTL_ADD, e3, &ev));
  SHOW("mod exclusive", epoll_ctl(ep, EPOLL_CTL_MOD, e3, &ev));
  ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
  SHOW("exclusive+oneshot", epoll_ctl(ep, EPOLL_CTL_ADD, e1 = eventfd(0, 0), &ev));
  n = epoll_wait(ep, out, 8, 0);
  show_events("exclusive", out, n);
  /* epoll on epoll, and loops */
  int outer = epoll_create1(0);
  ev.events = EPOLLIN;
  ev.data.u64 = 7;
  SHOW("nest", epoll_ctl(outer, EPOLL_CTL_ADD, ep, &ev));
  SHOW("loop", epoll_ctl(ep, EPOLL_CTL_ADD, outer, &ev));
  n = epoll_wait(outer, out, 8, 0);
  show_events("outer", out, n);
  struct pollfd pf = {ep, POLLIN, 0};
  SHOW("poll epoll", poll(&pf, 1, 0));
  printf("revents %#x\n", pf.revents);
  /* argument checks */
  SHOW("maxevents 0", epoll_wait(ep, out, 0, 0));
  SHOW("wait on eventfd", epoll_wait(e3, out, 1, 0));
  SHOW("wait bad fd", epoll_wait(999, out, 1, 0));
  struct timespec ts = {0, 1000000};
  SHOW("pwait2", syscall(SYS_epoll_pwait2, ep, out, 8, &ts, NULL, 8));
  ts.tv_nsec = -1;
  SHOW("pwait2 bad ts", syscall(SYS_epoll_pwait2, ep, out, 8, &ts, NULL, 8));
  ts.tv_nsec = 20000000;
  int empty = epoll_create1(0);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  SHOW("pwait2 timeout", syscall(SYS_epoll_pwait2, empty, out, 8, &ts, NULL, 8));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  printf("waited >= 20ms: %d\n", ms >= 20);
  SHOW("pwait bad sigsetsize", syscall(SYS_epoll_pwait, empty, out, 8, 0, &ts, 4));
  close(empty);
  close(outer);
  close(ep);
}

static void t_timerfd(void) {
  SHOW("bad clock", timerfd_create(55, 0));
  SHOW("bad flags", timerfd_create(CLOCK_MONOTONIC, 1));
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  uint64_t v;
  SHOW("read unarmed", rd64(fd, &v));
  struct itimerspec its = {{0, 0}, {0, 0}}, old;
  SHOW("gettime", timerfd_gettime(fd, &old));
  printf("value %ld.%09ld interval %ld.%09ld\n", old.it_value.tv_sec, old.it_value.tv_nsec, old.it_interval.tv_sec, old.it_interval.tv_nsec);
  its.it_value.tv_nsec = 1000000000;
  SHOW("bad nsec", timerfd_settime(fd, 0, &its, NULL));
  its.it_value.tv_nsec = 0;
  SHOW("bad settime flags", timerfd_settime(fd, 4, &its, NULL));
  SHOW("settime on eventfd", timerfd_settime(eventfd(0, 0), 0, &its, NULL));
  its.it_value.tv_sec = 100;
  its.it_interval.tv_sec = 7;
  SHOW("arm", timerfd_settime(fd, 0, &its, NULL));
  its.it_value.tv_sec = 0;
  its.it_value.tv_nsec = 10000000; /* 10 ms, then every 10 ms */
  its.it_interval.tv_sec = 0;
  its.it_interval.tv_nsec = 10000000;
  SHOW("rearm", timerfd_settime(fd, 0, &its, &old));
  printf("old interval %ld value<=100s %d value>99s %d\n", old.it_interval.tv_sec, old.it_value.tv_sec <= 100, old.it_value.tv_sec >= 99);
  struct pollfd pf = {fd, POLLIN, 0};
  SHOW("poll", poll(&pf, 1, 1000));
  usleep(35000);
  SHOW("read", rd64(fd, &v));
  printf("expirations >= 3: %d\n", v >= 3);
  /* Re-arming drops expirations not read yet (the next period is 10 ms away: no "read again" race). */
  usleep(25000);
  its.it_value.tv_sec = 100;
  its.it_value.tv_nsec = 0;
  SHOW("rearm far", timerfd_settime(fd, 0, &its, NULL));
  SHOW("read after rearm", rd64(fd, &v));
  /* blocking read */
  int b = timerfd_create(CLOCK_REALTIME, 0);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  its.it_interval.tv_nsec = 0;
  its.it_value = now;
  its.it_value.tv_nsec += 20000000;
  if (its.it_value.tv_nsec >= 1000000000) its.it_value.tv_sec++, its.it_value.tv_nsec -= 1000000000;
  SHOW("abstime", timerfd_settime(b, TFD_TIMER_ABSTIME, &its, NULL));
  SHOW("blocking read", rd64(b, &v));
  printf("value %llu\n", (unsigned long long)v);
  SHOW("gettime disarmed", timerfd_gettime(b, &old));
  printf("value %ld.%09ld\n", old.it_value.tv_sec, old.it_value.tv_nsec);
  its.it_value.tv_sec = 1;
  its.it_value.tv_nsec = 0;
  SHOW("abstime past", timerfd_settime(b, TFD_TIMER_ABSTIME, &its, NULL));
  SHOW("read past", rd64(b, &v));
  printf("value %llu\n", (unsigned long long)v);
  int bt = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
  SHOW("boottime", bt >= 0);
  /* epoll sees the timer */
  int ep = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN, {.u64 = 9}}, out[2];
  epoll_ctl(ep, EPOLL_CTL_ADD, bt, &ev);
  its.it_value.tv_sec = 0;
  its.it_value.tv_nsec = 15000000;
  timerfd_settime(bt, 0, &its, NULL);
  int n = epoll_wait(ep, out, 2, 2000);
  show_events("epoll timer", out, n);
  SHOW("read", rd64(bt, &v));
  printf("value %llu\n", (unsigned long long)v);
  close(ep);
}

static int got_usr2;
static void on_usr2(int sig) { got_usr2 = sig; }

static void t_signalfd(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int fd = signalfd(-1, &set, SFD_NONBLOCK);
  struct signalfd_siginfo si[4];
  SHOW("read empty", read(fd, si, sizeof si));
  SHOW("short buffer", read(fd, si, 100));
  SHOW("bad size", syscall(SYS_signalfd4, -1, &set, 4, 0));
  SHOW("bad flags", syscall(SYS_signalfd4, -1, &set, 8, 1));
  SHOW("not signalfd", signalfd(eventfd(0, 0), &set, 0));
  kill(getpid(), SIGUSR1);
  union sigval sv = {.sival_int = 42};
  sigqueue(getpid(), SIGRTMIN, sv);
  sv.sival_int = 43;
  sigqueue(getpid(), SIGRTMIN, sv);
  struct pollfd pf = {fd, POLLIN, 0};
  SHOW("poll", poll(&pf, 1, 0));
  long n = read(fd, si, sizeof si);
  printf("read %ld\n", n);
  for (long i = 0; i < n / (long)sizeof si[0]; i++)
    printf("signo %u code %d pid_ok %d int %d\n", si[i].ssi_signo, si[i].ssi_code, si[i].ssi_pid == (uint32_t)getpid(), si[i].ssi_int);
  SHOW("pending after", poll(&pf, 1, 0));
  /* update the mask */
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  SHOW("update", signalfd(fd, &set, 0) == fd);
  raise(SIGUSR2);
  SHOW("read usr2", read(fd, si, sizeof si));
  printf("signo %u\n", si[0].ssi_signo);
  /* blocking read from another process's signal */
  int bfd = signalfd(-1, &set, 0);
  pid_t child = fork();
  if (child == 0) {
    usleep(20000);
    kill(getppid(), SIGUSR1);
    _exit(0);
  }
  SHOW("blocking read", read(bfd, si, sizeof si[0]));
  printf("signo %u from child %d\n", si[0].ssi_signo, si[0].ssi_pid == (uint32_t)child);
  waitpid(child, NULL, 0);
  /* a handled, unblocked signal interrupts a blocking eventfd read */
  signal(SIGUSR2, on_usr2);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  sigdelset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  struct sigaction sa = {0};
  sa.sa_handler = on_usr2;
  sigaction(SIGUSR2, &sa, NULL);
  int efd = eventfd(0, 0);
  child = fork();
  if (child == 0) {
    usleep(20000);
    kill(getppid(), SIGUSR2);
    _exit(0);
  }
  uint64_t v;
  SHOW("eventfd read interrupted", rd64(efd, &v));
  printf("handler ran %d\n", got_usr2 == SIGUSR2);
  waitpid(child, NULL, 0);
}

static void t_poll(void) {
  int e = eventfd(0, EFD_NONBLOCK);
  int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  int p[2];
  pipe(p);
  struct pollfd pf[4] = {{e, POLLIN | POLLOUT, 0}, {t, POLLIN, 0}, {p[0], POLLIN, 0}, {-1, POLLIN, 0}};
  SHOW("poll", poll(pf, 4, 0));
  printf("revents %#x %#x %#x %#x\n", pf[0].revents, pf[1].revents, pf[2].revents, pf[3].revents);
  struct itimerspec its = {{0, 0}, {0, 20000000}};
  timerfd_settime(t, 0, &its, NULL);
  pf[0].events = POLLIN;
  SHOW("poll waits for timer", poll(pf, 3, 5000));
  printf("revents %#x %#x %#x\n", pf[0].revents, pf[1].revents, pf[2].revents);
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(e, &rd);
  FD_SET(p[0], &rd);
  wr64(e, 2);
  struct timeval tv = {0, 0};
  SHOW("select", select(p[0] > e ? p[0] + 1 : e + 1, &rd, NULL, NULL, &tv));
  printf("eventfd set %d pipe set %d\n", FD_ISSET(e, &rd) != 0, FD_ISSET(p[0], &rd) != 0);
  /* a blocking eventfd read woken by a write of another process is in the fork case */
}

static int got_alarm;
static void on_alarm(int sig) { got_alarm += sig == SIGALRM; }

/* A signal ends every kind of wait; epoll_wait is EINTR even under SA_RESTART, a read restarts. */
static void t_eintr(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {0, 20000}};
  int ep = epoll_create1(0);
  int e = eventfd(0, 0);
  struct epoll_event ev = {EPOLLIN, {.u64 = 1}}, out[1];
  epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
  setitimer(ITIMER_REAL, &it, NULL);
  SHOW("epoll_wait", epoll_wait(ep, out, 1, -1));
  setitimer(ITIMER_REAL, &it, NULL);
  struct pollfd pf = {e, POLLIN, 0};
  SHOW("poll", poll(&pf, 1, -1));
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  setitimer(ITIMER_REAL, &it, NULL);
  SHOW("epoll_wait SA_RESTART", epoll_wait(ep, out, 1, -1));
  /* a restarted eventfd read completes when a timerfd-driven writer... here: the alarm handler writes */
  setitimer(ITIMER_REAL, &it, NULL);
  struct timespec ts = {0, 100000000};
  SHOW("epoll_pwait2 SA_RESTART", syscall(SYS_epoll_pwait2, ep, out, 1, &ts, NULL, 8));
  /* epoll_pwait's mask lets the blocked signal in for the wait only */
  sigset_t block, none;
  sigemptyset(&block);
  sigaddset(&block, SIGALRM);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &block, NULL);
  setitimer(ITIMER_REAL, &it, NULL);
  usleep(40000);
  SHOW("epoll_pwait with empty mask", epoll_pwait(ep, out, 1, -1, &none));
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  printf("alarm blocked again: %d, handler runs %d\n", sigismember(&now, SIGALRM), got_alarm);
  close(ep);
  close(e);
}

/* poll and epoll on a pidfd: readable when the child exits, hung up too once it is reaped. */
static void t_pidfd(void) {
  pid_t child = fork();
  if (child == 0) {
    usleep(30000);
    _exit(3);
  }
  int pfd = syscall(SYS_pidfd_open, child, 0);
  struct pollfd pf = {pfd, POLLIN, 0};
  SHOW("poll running", poll(&pf, 1, 0));
  int ep = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN, {.u64 = 42}}, out[1];
  SHOW("epoll add pidfd", epoll_ctl(ep, EPOLL_CTL_ADD, pfd, &ev));
  int n = epoll_wait(ep, out, 1, 5000);
  show_events("epoll exit", out, n);
  SHOW("poll exited", poll(&pf, 1, 0));
  printf("revents %#x\n", pf.revents);
  int st;
  waitpid(child, &st, 0);
  SHOW("poll reaped", poll(&pf, 1, 0));
  printf("revents %#x status %d\n", pf.revents, WEXITSTATUS(st));
  close(ep);
  close(pfd);
}

static void t_fork(void) {
  /* What a child sees of the objects it inherited (its own copies in elfuse). */
  int e = eventfd(5, EFD_NONBLOCK);
  int ep = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN, {.u64 = 11}}, out[2];
  epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
  int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct itimerspec its = {{0, 0}, {100, 0}};
  timerfd_settime(t, 0, &its, NULL);
  pid_t child = fork();
  if (child == 0) {
    uint64_t v = 0;
    int n = epoll_wait(ep, out, 2, 0);
    show_events("child epoll", out, n);
    SHOW("child read", rd64(e, &v));
    printf("child value %llu\n", (unsigned long long)v);
    struct itimerspec cur;
    timerfd_gettime(t, &cur);
    printf("child timer armed %d\n", cur.it_value.tv_sec > 50 && cur.it_value.tv_sec <= 100);
    fflush(stdout);
    _exit(0);
  }
  waitpid(child, NULL, 0);
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "all";
  int all = strcmp(what, "all") == 0;
  if (all || !strcmp(what, "eventfd")) t_eventfd();
  if (all || !strcmp(what, "epoll")) t_epoll();
  if (all || !strcmp(what, "timerfd")) t_timerfd();
  if (all || !strcmp(what, "signalfd")) t_signalfd();
  if (all || !strcmp(what, "poll")) t_poll();
  if (all || !strcmp(what, "fork")) t_fork();
  if (all || !strcmp(what, "eintr")) t_eintr();
  if (all || !strcmp(what, "pidfd")) t_pidfd();
  return 0;
}
