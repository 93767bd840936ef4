/*
 * timers: clocks, sleeps and timers as a Linux arm64 process sees them.
 * Prints only deterministic facts: return values, errno names, and
 * comparisons of times against generous bounds, never the times.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static volatile int alarms, last_code, last_value, last_overrun;

static void on_alarm(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  alarms++;
  last_code = si->si_code;
  last_value = si->si_value.sival_int;
  last_overrun = si->si_overrun;
}

static void handle(int sig) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_alarm;
  sa.sa_flags = SA_SIGINFO;
  sigaction(sig, &sa, NULL);
}

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static const char *err(int r) { return r == 0 ? "ok" : strerror(errno); }

static void clocks(void) {
  static const int ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
                            CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
                            CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, 10, CLOCK_TAI, 12, -1, 1000};
  for (unsigned i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    struct timespec t = {0, 0}, res = {0, 0};
    errno = 0;
    int r = clock_gettime(ids[i], &t);
    const char *e1 = err(r);
    errno = 0;
    int r2 = clock_getres(ids[i], &res);
    /* The coarse clocks tick at the host's CONFIG_HZ: only check it is a few milliseconds. */
    long long rn = ns(res);
    const char *resdesc = r2 ? err(r2) : rn == 1 ? "1ns" : rn >= 1000000 && rn <= 10000000 ? "tick" : "other";
    printf("clock %d: gettime %s positive %d getres %s\n", ids[i], e1, r == 0 && ns(t) > 0, resdesc);
  }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("monotonic non-decreasing %d\n", ns(b) >= ns(a));
  clock_gettime(CLOCK_REALTIME, &a);
  printf("realtime after 2020 %d\n", a.tv_sec > 1577836800);
  errno = 0;
  printf("clock_gettime bad pointer: %ld %s\n", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8), strerror(errno));
  printf("clock_getres NULL: %d\n", clock_getres(CLOCK_MONOTONIC, NULL));
  /* The process's own CPU clock, by clock_getcpuclockid. */
  clockid_t cid;
  printf("getcpuclockid: %d\n", clock_getcpuclockid(0, &cid));
  printf("cpu clock by id: %s\n", err(clock_gettime(cid, &a)));
  struct tms t;
  clock_t now = times(&t);
  printf("times: ok %d\n", now != (clock_t)-1 && t.tms_utime >= 0 && t.tms_cutime == 0);
}

static void sleeps(void) {
  struct timespec a, b, req = {0, 20000000};
  clock_gettime(CLOCK_MONOTONIC, &a);
  printf("nanosleep 20ms: %d\n", nanosleep(&req, NULL));
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("slept at least 20ms %d\n", ns(b) - ns(a) >= 20000000);
  struct timespec bad = {0, 1000000000};
  errno = 0;
  printf("nanosleep bad nsec: %d %s\n", nanosleep(&bad, NULL), strerror(errno));
  bad.tv_sec = -1;
  bad.tv_nsec = 0;
  errno = 0;
  printf("nanosleep negative: %d %s\n", nanosleep(&bad, NULL), strerror(errno));
  /* clock_nanosleep returns the error number instead of setting errno. */
  clock_gettime(CLOCK_MONOTONIC, &a);
  struct timespec until = {a.tv_sec, a.tv_nsec + 20000000};
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  printf("clock_nanosleep abstime: %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL));
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("reached deadline %d\n", ns(b) >= ns(until));
  printf("clock_nanosleep realtime relative: %d\n", clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL));
  printf("clock_nanosleep abstime past: %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &(struct timespec){0, 0}, NULL));
  printf("clock_nanosleep thread cputime: %s\n", strerror(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL)));
  printf("clock_nanosleep monotonic_raw: %s\n", strerror(clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &req, NULL)));
  printf("clock_nanosleep coarse: %s\n", strerror(clock_nanosleep(CLOCK_MONOTONIC_COARSE, 0, &req, NULL)));
  printf("clock_nanosleep alarm: %s\n", strerror(clock_nanosleep(CLOCK_REALTIME_ALARM, 0, &req, NULL)));
  printf("clock_nanosleep bad id: %s\n", strerror(clock_nanosleep(12, 0, &req, NULL)));
  printf("clock_nanosleep bad nsec: %s\n", strerror(clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){0, -1}, NULL)));

  /* A handler cuts a relative sleep short: EINTR and the time left. */
  handle(SIGALRM);
  struct itimerval it = {.it_value = {0, 50000}};
  setitimer(ITIMER_REAL, &it, NULL);
  struct timespec rem = {0, 0};
  int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){5, 0}, &rem);
  printf("clock_nanosleep interrupted: %s rem in (0,5s) %d alarms %d\n", strerror(r), ns(rem) > 0 && ns(rem) < 5000000000LL, alarms);
  signal(SIGALRM, SIG_DFL);
}

static void itimers(void) {
  struct itimerval it = {.it_interval = {0, 5000}, .it_value = {2, 0}}, old, cur;
  printf("setitimer: %d\n", setitimer(ITIMER_REAL, &it, NULL));
  getitimer(ITIMER_REAL, &cur);
  printf("getitimer: value in (0,2s] %d interval %ld\n", cur.it_value.tv_sec * 1000000 + cur.it_value.tv_usec > 0 &&
         cur.it_value.tv_sec * 1000000 + cur.it_value.tv_usec <= 2000000, (long)cur.it_interval.tv_usec);
  struct itimerval zero = {0};
  setitimer(ITIMER_REAL, &zero, &old);
  printf("disarm returns old: %d\n", (old.it_value.tv_sec > 0 || old.it_value.tv_usec > 0) && old.it_interval.tv_usec == 5000);
  getitimer(ITIMER_REAL, &cur);
  printf("disarmed: %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);
  errno = 0;
  printf("setitimer bad which: %d %s\n", setitimer(7, &it, NULL), strerror(errno));
  it.it_value.tv_usec = 1000000;
  errno = 0;
  printf("setitimer bad usec: %d %s\n", setitimer(ITIMER_REAL, &it, NULL), strerror(errno));

  /* alarm(2) is setitimer on arm64: the old value comes back in whole seconds, rounded. */
  printf("alarm(5): %u\n", alarm(5));
  printf("alarm(0): %u\n", alarm(0));

  /* A periodic ITIMER_REAL: three SIGALRMs, each waited for with sigsuspend. */
  handle(SIGALRM);
  sigset_t block, empty;
  sigemptyset(&block);
  sigaddset(&block, SIGALRM);
  sigemptyset(&empty);
  sigprocmask(SIG_BLOCK, &block, NULL);
  alarms = 0;
  struct itimerval periodic = {.it_interval = {0, 10000}, .it_value = {0, 10000}};
  setitimer(ITIMER_REAL, &periodic, NULL);
  while (alarms < 3) sigsuspend(&empty);
  setitimer(ITIMER_REAL, &zero, NULL);
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  printf("periodic itimer: alarms %d code %d (SI_KERNEL %d)\n", alarms, last_code, SI_KERNEL);

  /* ITIMER_PROF counts CPU time: burn some until SIGPROF arrives. */
  handle(SIGPROF);
  alarms = 0;
  struct itimerval prof = {.it_value = {0, 20000}};
  setitimer(ITIMER_PROF, &prof, NULL);
  volatile unsigned long spin = 0;
  while (!alarms) spin++;
  printf("ITIMER_PROF fired: %d\n", alarms);
  signal(SIGPROF, SIG_DFL);
}

static void posix_timers(void) {
  int sig = SIGRTMIN + 2;
  handle(sig);
  struct sigevent ev = {0};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = sig;
  ev.sigev_value.sival_int = 77;
  timer_t t;
  printf("timer_create: %d\n", timer_create(CLOCK_MONOTONIC, &ev, &t));
  /* Long enough that a loaded machine still finds it armed when asked. */
  struct itimerspec spec = {.it_value = {0, 100000000}}, cur;
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, sig);
  sigprocmask(SIG_BLOCK, &block, &old);
  printf("timer_settime: %d\n", timer_settime(t, 0, &spec, NULL));
  timer_gettime(t, &cur);
  printf("timer_gettime armed: %d\n", ns(cur.it_value) > 0 && ns(cur.it_value) <= 100000000);
  siginfo_t si;
  int r = sigwaitinfo(&block, &si);
  printf("sigwaitinfo: sig ok %d code %d (SI_TIMER %d) value %d overrun %d\n", r == sig, si.si_code, SI_TIMER, si.si_value.sival_int,
         si.si_overrun);
  timer_gettime(t, &cur);
  printf("timer_gettime expired: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
  printf("timer_getoverrun: %d\n", timer_getoverrun(t));

  /* A periodic timer whose signal stays blocked counts overruns instead of queueing more. */
  struct itimerspec fast = {.it_interval = {0, 2000000}, .it_value = {0, 2000000}};
  timer_settime(t, 0, &fast, NULL);
  nanosleep(&(struct timespec){0, 50000000}, NULL);
  r = sigwaitinfo(&block, &si);
  printf("overruns counted: %d pending again %d\n", si.si_overrun > 3, timer_getoverrun(t) == si.si_overrun);
  struct itimerspec off = {0};
  timer_settime(t, 0, &off, NULL);

  /* Delivered to the handler, with TIMER_ABSTIME. */
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 10000000;
  if (now.tv_nsec >= 1000000000) {
    now.tv_sec++;
    now.tv_nsec -= 1000000000;
  }
  struct itimerspec abs = {.it_value = now};
  alarms = 0;
  timer_settime(t, TIMER_ABSTIME, &abs, NULL);
  /* Blocked until sigsuspend opens the mask, so the signal cannot slip in before the wait. */
  while (!alarms) sigsuspend(&old);
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("abstime timer handled: code %d value %d\n", last_code, last_value);

  printf("timer_delete: %d\n", timer_delete(t));
  errno = 0;
  printf("timer_delete again: %d %s\n", timer_delete(t), strerror(errno));
  errno = 0;
  printf("timer_create bad clock: %d %s\n", timer_create(12, &ev, &t), strerror(errno));
  errno = 0;
  printf("timer_create coarse: %d %s\n", timer_create(CLOCK_MONOTONIC_COARSE, &ev, &t), strerror(errno));
  ev.sigev_signo = 99;
  errno = 0;
  printf("timer_create bad signal: %d %s\n", timer_create(CLOCK_MONOTONIC, &ev, &t), strerror(errno));

  /* SIGEV_NONE: runs down but never signals. */
  ev.sigev_notify = SIGEV_NONE;
  timer_create(CLOCK_MONOTONIC, &ev, &t);
  spec.it_value.tv_nsec = 500000000;
  timer_settime(t, 0, &spec, NULL);
  nanosleep(&(struct timespec){0, 10000000}, NULL);
  timer_gettime(t, &cur);
  printf("SIGEV_NONE running down: %d\n", ns(cur.it_value) > 0 && ns(cur.it_value) < 500000000);
  timer_delete(t);

  /* NULL sigevent: SIGALRM with the timer id as value. */
  signal(SIGALRM, SIG_IGN);
  printf("timer_create NULL sevp: %d\n", timer_create(CLOCK_REALTIME, NULL, &t));
  timer_delete(t);
  signal(SIGALRM, SIG_DFL);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "alarm") == 0) {
    /* SIGALRM's default action ends the process: 128 + 14. */
    struct itimerval it = {.it_value = {0, 10000}};
    setitimer(ITIMER_REAL, &it, NULL);
    for (;;) pause();
  }
  if (argc > 1 && strcmp(argv[1], "spin-alarm") == 0) {
    /* The timer must interrupt a guest that never makes a syscall. */
    alarm(1);
    for (volatile unsigned long i = 0;; i++) {
    }
  }
  clocks();
  sleeps();
  itimers();
  posix_timers();
  printf("done\n");
  return 0;
}
