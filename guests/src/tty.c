/* tty: the terminal ioctls on stdin, which must be a terminal (the e2e test
 * runs it in a tmux pane, output redirected to a file). Prints the kernel's
 * struct termios byte for byte (TCGETS through ioctl, not glibc's larger
 * struct), glibc's tcgetattr view, the effect of tcsetattr with each of
 * TCSANOW/TCSADRAIN/TCSAFLUSH, TIOCGWINSZ, the process-group and session
 * queries (as signs, so no pid is printed), and the VMIN/VTIME and
 * poll/select behaviour of a terminal with no input, and a read of it that a
 * signal interrupts (EINTR without SA_RESTART). Restores the terminal
 * before it exits. With the argument die-raw it sets raw mode and dies by
 * SIGTERM instead; with wait-raw it sets raw mode and waits in pause() for
 * whatever signal comes. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/time.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* The kernel's struct termios (asm-generic/termbits.h): 36 bytes. */
struct kernel_termios {
	unsigned int c_iflag, c_oflag, c_cflag, c_lflag;
	unsigned char c_line;
	unsigned char c_cc[19];
};

static void dump_kernel(const char *label)
{
	struct kernel_termios k;
	memset(&k, 0xaa, sizeof k);
	int r = ioctl(0, TCGETS, &k);
	printf("%s: TCGETS=%d iflag=%#o oflag=%#o cflag=%#o lflag=%#o line=%u cc=", label, r, k.c_iflag,
	       k.c_oflag, k.c_cflag, k.c_lflag, k.c_line);
	for (int i = 0; i < 19; i++)
		printf("%s%u", i ? "," : "", k.c_cc[i]);
	printf("\n");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile int alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

int main(int argc, char **argv)
{
	/* "die-raw": put the terminal in raw mode, then die by SIGTERM without restoring it. */
	if (argc > 1 && strcmp(argv[1], "die-raw") == 0) {
		struct termios raw;
		tcgetattr(0, &raw);
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
		raise(SIGTERM);
		return 0;
	}
	/* "wait-raw": raw mode, then wait for a signal from outside (default actions). */
	if (argc > 1 && strcmp(argv[1], "wait-raw") == 0) {
		struct termios raw;
		tcgetattr(0, &raw);
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
		pause();
		return 0;
	}
	printf("isatty: %d %d %d\n", isatty(0), isatty(1), isatty(2));
	dump_kernel("initial");

	struct termios orig, t;
	if (tcgetattr(0, &orig) != 0) {
		printf("tcgetattr: %s\n", strerror(errno));
		return 1;
	}
	printf("speed: in=%u out=%u\n", (unsigned)cfgetispeed(&orig), (unsigned)cfgetospeed(&orig));

	/* Raw mode, as full-screen programs set it. */
	t = orig;
	cfmakeraw(&t);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 2;
	printf("tcsetattr raw TCSANOW: %d\n", tcsetattr(0, TCSANOW, &t));
	dump_kernel("raw");

	/* No input is waiting: a VMIN=0 VTIME=2 read returns 0 after about 0.2 s. */
	char c;
	double t0 = now();
	ssize_t n = read(0, &c, 1);
	double dt = now() - t0;
	printf("read VMIN=0 VTIME=2: %zd, waited 0.1..2 s: %d\n", n, dt > 0.1 && dt < 2.0);

	/* poll and select with a timeout and no input. */
	struct pollfd p = {.fd = 0, .events = POLLIN};
	t0 = now();
	int pr = poll(&p, 1, 150);
	dt = now() - t0;
	printf("poll 150 ms: %d revents=%#x, waited 0.1..2 s: %d\n", pr, p.revents, dt > 0.1 && dt < 2.0);
	p.revents = 0;
	p.events = POLLOUT;
	pr = poll(&p, 1, 0);
	printf("poll POLLOUT: %d revents=%#x\n", pr, p.revents);

	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(0, &rd);
	struct timespec ts = {0, 100 * 1000 * 1000};
	t0 = now();
	int sr = pselect(1, &rd, NULL, NULL, &ts, NULL);
	dt = now() - t0;
	printf("pselect 100 ms: %d set=%d, waited 0.05..2 s: %d\n", sr, FD_ISSET(0, &rd), dt > 0.05 && dt < 2.0);

	/* A read of the terminal that waits for a byte (VMIN=1) is interrupted by a signal
	 * whose handler has no SA_RESTART: -1 EINTR once the handler ran. */
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(0, TCSANOW, &t);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 300 * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	char byte;
	t0 = now();
	errno = 0;
	ssize_t rr = read(0, &byte, 1);
	dt = now() - t0;
	printf("read interrupted by SIGALRM: %zd %s, handler ran: %d, waited 0.2..5 s: %d\n", rr, strerror(errno), alarms, dt > 0.2 && dt < 5.0);

	/* Cooked mode with some changes, through each of the three actions. */
	t = orig;
	t.c_lflag &= ~(ECHO | ECHOCTL);
	t.c_iflag |= IXANY;
	t.c_cc[VINTR] = 7;
	t.c_cc[VEOL] = 0;
	printf("tcsetattr TCSADRAIN: %d\n", tcsetattr(0, TCSADRAIN, &t));
	dump_kernel("drain");
	t.c_cflag = (t.c_cflag & ~CSIZE) | CS7 | PARENB;
	errno = 0;
	int fr = tcsetattr(0, TCSAFLUSH, &t);
	printf("tcsetattr TCSAFLUSH: %d %s\n", fr, strerror(errno));
	dump_kernel("flush");
	t.c_oflag &= ~ONLCR;
	cfsetospeed(&t, B9600);
	cfsetispeed(&t, B9600);
	printf("tcsetattr TCSANOW: %d\n", tcsetattr(0, TCSANOW, &t));
	struct termios back;
	tcgetattr(0, &back);
	printf("speed after B9600: in=%u out=%u\n", (unsigned)cfgetispeed(&back), (unsigned)cfgetospeed(&back));

	struct winsize ws;
	int wr = ioctl(0, TIOCGWINSZ, &ws);
	printf("TIOCGWINSZ: %d rows=%u cols=%u\n", wr, ws.ws_row, ws.ws_col);

	/* Ids differ between runs: print only whether they look like ids. */
	pid_t fg = tcgetpgrp(0);
	printf("tcgetpgrp > 0: %d\n", fg > 0);
	printf("tcgetsid > 0: %d\n", tcgetsid(0) > 0);
	printf("tcsetpgrp(foreground group): %d\n", tcsetpgrp(0, fg));

	printf("restore: %d\n", tcsetattr(0, TCSANOW, &orig));
	dump_kernel("restored");

	/* A regular file is not a terminal. */
	int gr = ioctl(1, TCGETS, &back);
	printf("TCGETS on stdout file: %d %s\n", gr, strerror(errno));
	return 0;
}
