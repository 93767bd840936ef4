/*
 * waits: blocking waits, timers under syscall-heavy load, huge timeouts and
 * the queued-signal limit, one scenario per argument. Prints only facts
 * that do not depend on timing or addresses (return values, errno names,
 * counts against bounds the test states).
 *
 *   pause | sigsuspend | sigtimedwait | ppoll | pselect
 *       print "ready", then wait with nothing that can end the wait but a
 *       signal from outside (SIGUSR1 has a handler; sigtimedwait takes a
 *       blocked SIGUSR2), then print how the wait ended.
 *   pause-ignore
 *       as pause, with SIGHUP ignored and SIGUSR1 handled.
 *   itimer-getpid | itimer-mix | posix-timer-getpid  MS
 *       a 100 ms periodic timer while the program makes system calls for
 *       MS milliseconds (getpid in a loop; for itimer-mix, a few thousand
 *       instructions between calls); prints the number of deliveries.
 *   huge-timers
 *       arms ITIMER_REAL and a POSIX timer 3,000,000 s away and checks
 *       they report that much time left and do not fire early.
 *   sigqueue-limit
 *       lowers RLIMIT_SIGPENDING and fills the queue: which sends fail
 *       with EAGAIN, which lose their siginfo, and what timers do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t deliveries;

static void on_usr1(int sig)
{
	(void)sig;
	static const char msg[] = "handler SIGUSR1\n";
	write(1, msg, sizeof msg - 1);
}

static void count(int sig)
{
	(void)sig;
	deliveries++;
}

static void handle(int sig, void (*fn)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigaction(sig, &sa, NULL);
}

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "?";
}

static void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int wait_for_signal(const char *mode)
{
	handle(SIGUSR1, on_usr1);
	int r;
	if (strcmp(mode, "pause") == 0 || strcmp(mode, "pause-ignore") == 0) {
		if (strcmp(mode, "pause-ignore") == 0)
			signal(SIGHUP, SIG_IGN);
		ready();
		r = pause();
	} else if (strcmp(mode, "sigsuspend") == 0) {
		sigset_t block, empty;
		sigemptyset(&block);
		sigaddset(&block, SIGUSR1);
		sigprocmask(SIG_BLOCK, &block, NULL);
		sigemptyset(&empty);
		ready();
		r = sigsuspend(&empty);
	} else if (strcmp(mode, "sigtimedwait") == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		sigprocmask(SIG_BLOCK, &set, NULL);
		siginfo_t si;
		memset(&si, 0, sizeof si);
		ready();
		r = sigtimedwait(&set, &si, NULL);
		printf("sigtimedwait: %d (SIGUSR2 %d) si_code %d\n", r, r == SIGUSR2, si.si_code);
		return 0;
	} else if (strcmp(mode, "ppoll") == 0) {
		ready();
		r = ppoll(NULL, 0, NULL, NULL);
	} else if (strcmp(mode, "pselect") == 0) {
		ready();
		r = pselect(0, NULL, NULL, NULL, NULL, NULL);
	} else {
		return 2;
	}
	printf("%s: %d %s\n", mode, r, r < 0 ? ename(errno) : "");
	return 0;
}

/* Work between two system calls in itimer-mix: a few thousand instructions. */
static unsigned long spin(unsigned long x)
{
	for (int i = 0; i < 2000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}

static int timer_load(const char *mode, long ms)
{
	handle(SIGALRM, count);
	handle(SIGRTMIN, count);
	timer_t tid;
	struct itimerspec its = {{0, 100000000}, {0, 100000000}};
	if (strcmp(mode, "posix-timer-getpid") == 0) {
		struct sigevent sev;
		memset(&sev, 0, sizeof sev);
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = SIGRTMIN;
		if (timer_create(CLOCK_MONOTONIC, &sev, &tid) != 0 || timer_settime(tid, 0, &its, NULL) != 0) {
			printf("timer: %s\n", ename(errno));
			return 1;
		}
	} else {
		struct itimerval it = {{0, 100000}, {0, 100000}};
		setitimer(ITIMER_REAL, &it, NULL);
	}
	int mix = strcmp(mode, "itimer-mix") == 0;
	long long end = now_ns() + ms * 1000000LL;
	unsigned long x = 1, calls = 0;
	while (now_ns() < end) {
		syscall(SYS_getpid);
		calls++;
		if (mix)
			x = spin(x);
	}
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	printf("deliveries %d calls>1000 %d%s\n", (int)deliveries, calls > 1000, x == 0 ? " (x=0)" : "");
	return 0;
}

static int huge_timers(void)
{
	handle(SIGALRM, count);
	handle(SIGRTMIN, count);
	struct itimerval it = {{0, 0}, {3000000, 0}}, left;
	printf("setitimer 3000000 s: %d\n", setitimer(ITIMER_REAL, &it, NULL));
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN;
	timer_t tid;
	struct itimerspec its = {{0, 0}, {3000000, 0}}, tleft;
	printf("timer_create: %d\n", timer_create(CLOCK_MONOTONIC, &sev, &tid));
	printf("timer_settime 3000000 s: %d\n", timer_settime(tid, 0, &its, NULL));
	struct timespec nap = {0, 300000000};
	nanosleep(&nap, NULL);
	getitimer(ITIMER_REAL, &left);
	timer_gettime(tid, &tleft);
	printf("itimer left 2999990..3000000 s: %d\n", left.it_value.tv_sec >= 2999990 && left.it_value.tv_sec < 3000000);
	printf("posix timer left 2999990..3000000 s: %d\n", tleft.it_value.tv_sec >= 2999990 && tleft.it_value.tv_sec < 3000000);
	printf("deliveries %d\n", (int)deliveries);
	return 0;
}

#define LIMIT 40

static int queue_until_full(int sig, int most)
{
	union sigval v;
	int n = 0;
	for (; n < most; n++) {
		v.sival_int = n;
		if (sigqueue(getpid(), sig, v) != 0)
			break;
	}
	return n;
}

/* Takes every pending `sig` without waiting; returns how many there were. */
static int drain(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	struct timespec zero = {0, 0};
	int n = 0;
	while (sigtimedwait(&set, NULL, &zero) == sig)
		n++;
	return n;
}

static void take(const char *what, int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	siginfo_t si;
	memset(&si, 0xff, sizeof si);
	struct timespec zero = {0, 0};
	int r = sigtimedwait(&set, &si, &zero);
	printf("%s: %s code %d pid is mine %d pid zero %d\n", what, r == sig ? "taken" : "absent", si.si_code,
	       si.si_pid == getpid(), si.si_pid == 0);
}

/* A call's result and, when it failed, its errno (errno is read after the call). */
static void sigqueue_report(const char *what, int r)
{
	printf("%s: %d %s\n", what, r, r < 0 ? ename(errno) : "");
}

static int sigqueue_limit(void)
{
	struct rlimit rl = {LIMIT, LIMIT};
	printf("setrlimit RLIMIT_SIGPENDING %d: %d\n", LIMIT, setrlimit(RLIMIT_SIGPENDING, &rl));
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	int rt = SIGRTMIN;

	int n = queue_until_full(rt, 4 * LIMIT);
	printf("sigqueue SIGRTMIN: %d queued, then %s\n", n, ename(errno));
	sigqueue_report("kill SIGRTMIN+1 at the limit", kill(getpid(), rt + 1));
	union sigval v = {.sival_int = 7};
	sigqueue_report("sigqueue SIGUSR1 at the limit", sigqueue(getpid(), SIGUSR1, v));
	sigqueue_report("tgkill SIGUSR2 at the limit", (int)syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2));
	sigqueue_report("tgkill SIGRTMIN+2 at the limit", (int)syscall(SYS_tgkill, getpid(), gettid(), rt + 2));
	sigqueue_report("sigqueue SIGRTMIN+2 at the limit", sigqueue(getpid(), rt + 2, v));
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = rt + 3;
	timer_t tid;
	sigqueue_report("timer_create at the limit", timer_create(CLOCK_MONOTONIC, &sev, &tid));
	take("SIGRTMIN+1 sent by kill", rt + 1);
	take("SIGUSR1 sent by sigqueue", SIGUSR1);
	take("SIGUSR2 sent by tgkill", SIGUSR2);
	take("SIGRTMIN+2", rt + 2);

	/* One taken off the queue makes room for exactly one more. */
	siginfo_t si;
	struct timespec zero = {0, 0};
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, rt);
	int r = sigtimedwait(&one, &si, &zero);
	printf("first SIGRTMIN: %d value %d\n", r == rt, si.si_value.sival_int);
	printf("after taking one: %d more queued\n", queue_until_full(rt, LIMIT));
	printf("drained SIGRTMIN: %d\n", drain(rt));

	/* A standard signal sent by kill is queued over the limit but takes a slot. */
	printf("kill SIGUSR1: %d\n", kill(getpid(), SIGUSR1));
	printf("with SIGUSR1 pending: %d queued\n", queue_until_full(rt, 4 * LIMIT));
	drain(rt);
	drain(SIGUSR1);

	/* A POSIX timer holds a slot for its signal from timer_create to timer_delete. */
	sigqueue_report("timer_create", timer_create(CLOCK_MONOTONIC, &sev, &tid));
	printf("with a timer: %d queued\n", queue_until_full(rt, 4 * LIMIT));
	struct itimerspec soon = {{0, 0}, {0, 1000000}};
	timer_settime(tid, 0, &soon, NULL);
	struct timespec nap = {0, 50000000};
	nanosleep(&nap, NULL);
	sigset_t pending;
	sigpending(&pending);
	printf("timer signal pending at the limit: %d\n", sigismember(&pending, rt + 3));
	take("timer signal", rt + 3);
	drain(rt);
	printf("timer_delete: %d\n", timer_delete(tid));
	/* Linux gives the timer's slot back once an RCU grace period has passed. */
	nap.tv_nsec = 200000000;
	nanosleep(&nap, NULL);
	printf("after timer_delete: %d queued\n", queue_until_full(rt, 4 * LIMIT));
	drain(rt);

	/* A limit of zero: nothing queues. */
	struct rlimit none = {0, LIMIT};
	setrlimit(RLIMIT_SIGPENDING, &none);
	sigqueue_report("limit 0: sigqueue", sigqueue(getpid(), rt, v));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *mode = argv[1];
	if (strncmp(mode, "itimer-", 7) == 0 || strcmp(mode, "posix-timer-getpid") == 0)
		return timer_load(mode, argc > 2 ? atol(argv[2]) : 2000);
	if (strcmp(mode, "huge-timers") == 0)
		return huge_timers();
	if (strcmp(mode, "sigqueue-limit") == 0)
		return sigqueue_limit();
	return wait_for_signal(mode);
}
