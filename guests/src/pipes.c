/*
 * pipes: pipes and FIFOs between a parent and its fork children, as the
 * kernel keeps them: PIPE_BUF atomicity with several writers, blocking
 * writes to a full pipe, EPIPE and SIGPIPE, the pipe's size (F_GETPIPE_SZ,
 * F_SETPIPE_SZ), FIONREAD, O_NONBLOCK's EAGAIN (a small write is all or
 * nothing), O_DIRECT packets, the dup family, FIFOs opened by two
 * processes, and a signal interrupting a blocked read or write (EINTR, or
 * a restart under SA_RESTART), and which buffers a read at end of file
 * refuses (EFAULT). Works in the current directory; prints no pids.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s = -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s = %ld\n", what, r);
	fflush(stdout);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static const char *status_text(int st)
{
	static char buf[64];
	if (WIFEXITED(st))
		snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
	else
		snprintf(buf, sizeof buf, "killed by %s", sigabbrev_np(WTERMSIG(st)));
	return buf;
}

static void reap(const char *what, pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid) {
		show(what, -1);
		return;
	}
	printf("%s: %s\n", what, status_text(st));
	fflush(stdout);
}

static volatile sig_atomic_t got;

static void on_signal(int sig)
{
	(void)sig;
	got++;
	static const char msg[] = "handler\n";
	if (write(1, msg, sizeof msg - 1) < 0) _exit(3);
}

static void handle(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

/* Reads exactly n bytes (a blocking pipe may return fewer per read). */
static ssize_t read_full(int fd, char *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, buf + done, n - done);
		if (r <= 0) return done ? (ssize_t)done : r;
		done += r;
	}
	return done;
}

static void atomicity(void)
{
	/* Four writers, 64 records of PIPE_BUF bytes each, into a pipe the parent drains late. */
	enum { WRITERS = 4, RECORDS = 64 };
	int p[2];
	if (pipe(p)) exit(1);
	pid_t kids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		kids[w] = fork();
		if (kids[w] == 0) {
			close(p[0]);
			char rec[PIPE_BUF];
			memset(rec, 'A' + w, sizeof rec);
			for (int i = 0; i < RECORDS; i++)
				if (write(p[1], rec, sizeof rec) != sizeof rec) _exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	sleep_ms(300); /* the pipe is full and every writer blocked */
	int counts[WRITERS] = {0}, torn = 0, records = 0;
	char rec[PIPE_BUF];
	while (read_full(p[0], rec, sizeof rec) == (ssize_t)sizeof rec) {
		records++;
		int w = rec[0] - 'A';
		for (size_t i = 1; i < sizeof rec; i++)
			if (rec[i] != rec[0]) {
				torn++;
				break;
			}
		if (w >= 0 && w < WRITERS) counts[w]++;
	}
	close(p[0]);
	printf("atomicity: %d records, %d torn, per writer %d %d %d %d\n", records, torn, counts[0], counts[1], counts[2], counts[3]);
	for (int w = 0; w < WRITERS; w++) reap("writer", kids[w]);
}

static void big_write(void)
{
	/* A blocking write of 1 MiB completes while a slow reader drains the pipe. */
	int p[2];
	if (pipe(p)) exit(1);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		static char big[1 << 20];
		memset(big, 'x', sizeof big);
		ssize_t n = write(p[1], big, sizeof big);
		_exit(n == (ssize_t)sizeof big ? 0 : 1);
	}
	close(p[1]);
	sleep_ms(200);
	long total = 0;
	char buf[8192];
	ssize_t n;
	while ((n = read(p[0], buf, sizeof buf)) > 0) total += n;
	printf("big write: reader got %ld bytes\n", total);
	reap("big writer", pid);
	close(p[0]);
}

static void epipe(void)
{
	int p[2];
	/* Default action: the writer dies by SIGPIPE. */
	if (pipe(p)) exit(1);
	close(p[0]);
	pid_t pid = fork();
	if (pid == 0) {
		if (write(p[1], "x", 1) < 0) _exit(10);
		_exit(0);
	}
	reap("writer without readers, SIGPIPE default", pid);
	/* Ignored: EPIPE. Handled: the handler runs, then EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	show("write without readers, SIGPIPE ignored", write(p[1], "x", 1));
	handle(SIGPIPE, 0);
	show("write without readers, SIGPIPE handled", write(p[1], "x", 1));
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	/* A reader that closes while a writer is blocked on a full pipe. */
	int ready[2];
	if (pipe(p) || pipe(ready)) exit(1);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		if (write(ready[1], "r", 1) != 1) _exit(1);
		static char big[1 << 17];
		ssize_t n = write(p[1], big, sizeof big);
		printf("blocked writer after the reader closed: %s\n", n < 0 ? strerrorname_np(errno) : n == 65536 ? "65536" : "other count");
		fflush(stdout);
		_exit(0);
	}
	close(p[1]);
	char r;
	if (read(ready[0], &r, 1) != 1) exit(1);
	sleep_ms(300);
	close(p[0]);
	reap("blocked writer", pid);
	close(ready[0]);
	close(ready[1]);
}

static void sizes(void)
{
	int p[2];
	if (pipe(p)) exit(1);
	show("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
	show("F_SETPIPE_SZ 4096", fcntl(p[1], F_SETPIPE_SZ, 4096));
	show("F_GETPIPE_SZ of the other end", fcntl(p[0], F_GETPIPE_SZ));
	show("F_SETPIPE_SZ 100000", fcntl(p[1], F_SETPIPE_SZ, 100000));
	show("F_SETPIPE_SZ 0", fcntl(p[1], F_SETPIPE_SZ, 0));
	int f = open("plain", O_RDWR | O_CREAT | O_TRUNC, 0644);
	show("F_GETPIPE_SZ of a file", fcntl(f, F_GETPIPE_SZ));
	show("F_SETPIPE_SZ of a file", fcntl(f, F_SETPIPE_SZ, 4096));
	int n = -1;
	show("FIONREAD of an empty pipe", ioctl(p[0], FIONREAD, &n));
	printf("  bytes: %d\n", n);
	if (write(p[1], "0123456789", 10) != 10) exit(1);
	show("FIONREAD after 10 bytes", ioctl(p[0], FIONREAD, &n));
	printf("  bytes: %d\n", n);
	close(p[0]);
	close(p[1]);
	close(f);
	unlink("plain");

	/* O_NONBLOCK: EAGAIN on an empty or full pipe; a small write is all or nothing. */
	if (pipe2(p, O_NONBLOCK)) exit(1);
	char c;
	show("non-blocking read of an empty pipe", read(p[0], &c, 1));
	static char fill[1 << 17];
	long total = 0;
	ssize_t w;
	while ((w = write(p[1], fill, 1000)) > 0) total += w;
	printf("non-blocking fill: %ld bytes, then %s\n", total, strerrorname_np(errno));
	if (read(p[0], fill, 100) != 100) exit(1);
	show("non-blocking write of PIPE_BUF into 100 free bytes", write(p[1], fill, PIPE_BUF));
	show("non-blocking write of 50 bytes into 100 free bytes", write(p[1], fill, 50));
	if (read_full(p[0], fill, 8192) != 8192) exit(1);
	show("non-blocking write of 20000 bytes into 8142 free bytes", write(p[1], fill, 20000));
	close(p[0]);
	close(p[1]);

	/* O_DIRECT: each write is a packet, read one by one. */
	if (pipe2(p, O_DIRECT)) exit(1);
	show("F_GETFL has O_DIRECT", (fcntl(p[0], F_GETFL) & O_DIRECT) != 0);
	if (write(p[1], "abc", 3) != 3 || write(p[1], "defgh", 5) != 5) exit(1);
	char buf[64];
	show("packet read 1", read(p[0], buf, sizeof buf));
	show("packet read 2", read(p[0], buf, sizeof buf));
	close(p[0]);
	close(p[1]);
}

static void dups(void)
{
	int p[2];
	if (pipe(p)) exit(1);
	int f = open("plain", O_RDWR | O_CREAT | O_TRUNC, 0644);
	int null = open("/dev/null", O_WRONLY);
	int fds[3] = {p[1], f, null};
	const char *names[3] = {"pipe", "file", "/dev/null"};
	for (int i = 0; i < 3; i++) {
		int a = dup(fds[i]);
		int b = dup2(fds[i], 40);
		int c = dup3(fds[i], 41, O_CLOEXEC);
		int d = fcntl(fds[i], F_DUPFD, 50);
		int e = fcntl(fds[i], F_DUPFD_CLOEXEC, 50);
		printf("%s: dup %s, dup2 %d, dup3 %d cloexec %d, F_DUPFD %d, F_DUPFD_CLOEXEC %d cloexec %d\n", names[i],
		       a > 2 ? "ok" : "failed", b, c, fcntl(c, F_GETFD), d, e, fcntl(e, F_GETFD));
		int wrote = 0;
		int all[5] = {a, b, c, d, e};
		for (int k = 0; k < 5; k++) wrote += write(all[k], "z", 1) == 1;
		printf("  writes through the copies: %d\n", wrote);
		for (int k = 0; k < 5; k++) close(all[k]);
	}
	show("dup3 onto itself", dup3(f, f, 0));
	show("dup2 onto itself", dup2(f, f));
	show("dup2 of a closed fd", dup2(99, 98));
	char buf[8];
	show("pipe got", read(p[0], buf, sizeof buf));
	show("file size", lseek(f, 0, SEEK_END));
	close(p[0]);
	close(p[1]);
	close(f);
	close(null);
	unlink("plain");
}

static void fifos(void)
{
	unlink("fifo");
	show("mkfifo", mkfifo("fifo", 0600));
	show("O_WRONLY|O_NONBLOCK without a reader", open("fifo", O_WRONLY | O_NONBLOCK));
	pid_t pid = fork();
	if (pid == 0) {
		int w = open("fifo", O_WRONLY); /* waits for the parent to open for reading */
		if (w < 0) _exit(1);
		if (write(w, "through the fifo\n", 17) != 17) _exit(2);
		close(w);
		_exit(0);
	}
	sleep_ms(200);
	int r = open("fifo", O_RDONLY);
	char buf[64];
	ssize_t n = read_full(r, buf, 17);
	printf("parent read %zd: %.*s", n, (int)(n > 0 ? n : 0), buf);
	show("read at end of fifo", read(r, buf, sizeof buf));
	close(r);
	reap("fifo writer", pid);
	/* The other way round: the reader opens first and waits for a writer. */
	pid = fork();
	if (pid == 0) {
		int rd = open("fifo", O_RDONLY);
		char b[8];
		ssize_t k = read(rd, b, sizeof b);
		_exit(k == 3 ? 0 : 1);
	}
	sleep_ms(200);
	int w = open("fifo", O_WRONLY);
	show("write to the waiting reader", write(w, "abc", 3));
	close(w);
	reap("fifo reader", pid);
	unlink("fifo");
}

static void interrupted(void)
{
	for (int restart = 0; restart <= 1; restart++) {
		int p[2];
		if (pipe(p)) exit(1);
		pid_t pid = fork();
		if (pid == 0) {
			/* The child writes 1.5 s after the read started: after the alarm. */
			close(p[0]);
			sleep_ms(1500);
			if (write(p[1], "late", 4) != 4) _exit(1);
			_exit(0);
		}
		close(p[1]);
		handle(SIGALRM, restart ? SA_RESTART : 0);
		alarm(1);
		char buf[8];
		show(restart ? "blocked read, SA_RESTART alarm" : "blocked read, alarm", read(p[0], buf, sizeof buf));
		close(p[0]);
		reap("late writer", pid);
	}
	for (int restart = 0; restart <= 1; restart++) {
		int p[2];
		if (pipe(p)) exit(1);
		static char fill[65536];
		if (write(p[1], fill, sizeof fill) != sizeof fill) exit(1); /* now full */
		pid_t pid = fork();
		if (pid == 0) {
			/* The child drains 1.5 s later: after the alarm. */
			close(p[1]);
			sleep_ms(1500);
			while (read(p[0], fill, sizeof fill) > 0) {
			}
			_exit(0);
		}
		close(p[0]);
		handle(SIGALRM, restart ? SA_RESTART : 0);
		alarm(1);
		show(restart ? "blocked write, SA_RESTART alarm" : "blocked write, alarm", write(p[1], "x", 1));
		if (!restart) kill(pid, SIGKILL);
		close(p[1]);
		reap(restart ? "drainer" : "drainer (killed)", pid);
	}
}

static void efault(void)
{
	/* A read at end of file copies nothing: only a buffer past the user address space is EFAULT. */
	int p[2];
	if (pipe(p)) exit(1);
	close(p[1]);
	show("read at EOF into an unmapped page", read(p[0], (void *)0x1000, 16));
	show("read at EOF into 1<<48", read(p[0], (void *)(1ul << 48), 16));
	show("read at EOF into 1<<63", read(p[0], (void *)(1ul << 63), 16));
	show("read of 0 bytes at 1<<63", read(p[0], (void *)(1ul << 63), 0));
	close(p[0]);
	if (pipe(p)) exit(1);
	show("write of 0 bytes at 1<<63", write(p[1], (void *)(1ul << 63), 0));
	show("write of 16 bytes at 1<<48", write(p[1], (void *)(1ul << 48), 16));
	close(p[0]);
	close(p[1]);
	/* An O_PATH descriptor refuses ioctl (fdget of an FMODE_PATH file). */
	int o = open(".", O_PATH);
	int n = 0;
	show("ioctl FIONREAD on an O_PATH fd", ioctl(o, FIONREAD, &n));
	show("ioctl FIOCLEX on an O_PATH fd", ioctl(o, FIOCLEX));
	close(o);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";
	if (!*only || !strcmp(only, "atomicity")) atomicity();
	if (!*only || !strcmp(only, "big")) big_write();
	if (!*only || !strcmp(only, "epipe")) epipe();
	if (!*only || !strcmp(only, "sizes")) sizes();
	if (!*only || !strcmp(only, "dups")) dups();
	if (!*only || !strcmp(only, "fifos")) fifos();
	if (!*only || !strcmp(only, "interrupted")) interrupted();
	if (!*only || !strcmp(only, "efault")) efault();
	return 0;
}
