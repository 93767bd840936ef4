/*
 * locks: advisory locks between a parent and its fork child, as the kernel
 * keeps them: POSIX record locks (owned by the process, not inherited by
 * fork, reported by F_GETLK with the holder's pid, dropped by any close),
 * OFD locks and flock locks (owned by the open file description, which fork
 * shares), F_SETLKW and blocking flock waiting for the other process, and
 * a signal interrupting such a wait (EINTR, or a restart under SA_RESTART).
 * Works in the current directory; pids are printed only as relations.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int sync_pipe[2];

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s = -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s = %ld\n", what, r);
	fflush(stdout);
}

static int lock(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	return fcntl(fd, cmd, &fl);
}

static void getlk(const char *what, int fd, int cmd, short type, off_t start, off_t len, pid_t expect_pid)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	if (fcntl(fd, cmd, &fl) != 0) {
		show(what, -1);
		return;
	}
	if (fl.l_type == F_UNLCK) {
		printf("%s: F_UNLCK\n", what);
	} else {
		const char *who = fl.l_pid == -1 ? "-1" : fl.l_pid == expect_pid ? "the holder" : "another pid";
		printf("%s: %s start %lld len %lld pid %s\n", what, fl.l_type == F_WRLCK ? "F_WRLCK" : "F_RDLCK", (long long)fl.l_start,
		       (long long)fl.l_len, who);
	}
	fflush(stdout);
}

static void signal_me(void)
{
	char c = 's';
	if (write(sync_pipe[1], &c, 1) != 1) exit(2);
}

static void wait_signal(void)
{
	char c;
	if (read(sync_pipe[0], &c, 1) != 1) exit(2);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int reap(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid) return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "alarm handler\n";
	if (write(1, msg, sizeof msg - 1) < 0) _exit(3);
}

static void handle_alarm(int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = flags;
	sigaction(SIGALRM, &sa, NULL);
}

int main(void)
{
	if (pipe(sync_pipe)) return 1;
	int fd = open("locked", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "0123456789abcdefghij", 20) != 20) return 1;
	pid_t parent = getpid();

	/* 1. POSIX locks: the child conflicts with its parent's lock (not inherited), and sees who holds it. */
	show("parent F_SETLK write [0,10)", lock(fd, F_SETLK, F_WRLCK, 0, 10));
	pid_t pid = fork();
	if (pid == 0) {
		show("child F_SETLK write [5,15) (inherited fd)", lock(fd, F_SETLK, F_WRLCK, 5, 10));
		getlk("child F_GETLK write [5,15)", fd, F_GETLK, F_WRLCK, 5, 10, parent);
		getlk("child F_GETLK read [10,20)", fd, F_GETLK, F_RDLCK, 10, 10, parent);
		show("child F_SETLK read [10,20)", lock(fd, F_SETLK, F_RDLCK, 10, 10));
		signal_me();
		/* 2. F_SETLKW waits until the parent unlocks. */
		show("child F_SETLKW write [0,5)", lock(fd, F_SETLKW, F_WRLCK, 0, 5));
		getlk("child F_GETLK write [0,20) (own locks)", fd, F_GETLK, F_WRLCK, 0, 20, parent);
		_exit(0);
	}
	wait_signal();
	getlk("parent F_GETLK write [12,13)", fd, F_GETLK, F_WRLCK, 12, 1, pid);
	getlk("parent F_GETLK read [12,13)", fd, F_GETLK, F_RDLCK, 12, 1, pid);
	sleep_ms(300);
	printf("parent unlocks [0,10)\n");
	fflush(stdout);
	lock(fd, F_SETLK, F_UNLCK, 0, 10);
	show("child exit", reap(pid));
	getlk("parent F_GETLK after the child exited", fd, F_GETLK, F_WRLCK, 0, 0, pid);

	/* 3. Closing any fd of the file drops the process's POSIX locks, a dup too. */
	show("parent F_SETLK write [0,0)", lock(fd, F_SETLK, F_WRLCK, 0, 0));
	int dupfd = dup(fd);
	pid = fork();
	if (pid == 0) {
		getlk("child F_GETLK before the parent's close", fd, F_GETLK, F_RDLCK, 0, 1, parent);
		signal_me();
		sleep_ms(300);
		getlk("child F_GETLK after the parent closed a dup", fd, F_GETLK, F_RDLCK, 0, 1, parent);
		_exit(0);
	}
	wait_signal();
	close(dupfd);
	show("child exit", reap(pid));

	/* 4. A blocked F_SETLKW interrupted by a signal: EINTR without SA_RESTART, a restart with it. */
	show("parent F_SETLK write [0,0)", lock(fd, F_SETLK, F_WRLCK, 0, 0));
	for (int restart = 0; restart <= 1; restart++) {
		pid = fork();
		if (pid == 0) {
			handle_alarm(restart ? SA_RESTART : 0);
			alarm(1);
			signal_me();
			show(restart ? "child F_SETLKW, SA_RESTART alarm" : "child F_SETLKW, alarm", lock(fd, F_SETLKW, F_WRLCK, 0, 1));
			_exit(0);
		}
		wait_signal();
		if (restart) {
			sleep_ms(1800);
			printf("parent unlocks\n");
			fflush(stdout);
			lock(fd, F_SETLK, F_UNLCK, 0, 0);
		}
		show("child exit", reap(pid));
	}

	/* 5. OFD locks belong to the description: a new open conflicts, l_pid is -1. */
	int ofd = open("locked", O_RDWR);
	show("parent F_OFD_SETLK write [0,4)", lock(ofd, F_OFD_SETLK, F_WRLCK, 0, 4));
	pid = fork();
	if (pid == 0) {
		int mine = open("locked", O_RDWR);
		getlk("child F_OFD_GETLK on its own open", mine, F_OFD_GETLK, F_RDLCK, 0, 1, parent);
		show("child F_OFD_SETLK on its own open", lock(mine, F_OFD_SETLK, F_RDLCK, 0, 1));
		show("child F_OFD_SETLK on the shared description", lock(ofd, F_OFD_SETLK, F_WRLCK, 0, 8));
		getlk("child F_GETLK (POSIX) on its own open", mine, F_GETLK, F_WRLCK, 2, 1, parent);
		_exit(0);
	}
	show("child exit", reap(pid));
	close(ofd);

	/* 6. flock: the shared description holds the lock for both; another open waits for LOCK_UN. */
	int ffd = open("locked", O_RDONLY);
	show("parent flock LOCK_EX", flock(ffd, LOCK_EX));
	pid = fork();
	if (pid == 0) {
		show("child flock LOCK_EX|LOCK_NB on the shared description", flock(ffd, LOCK_EX | LOCK_NB));
		int mine = open("locked", O_RDONLY);
		show("child flock LOCK_SH|LOCK_NB on its own open", flock(mine, LOCK_SH | LOCK_NB));
		signal_me();
		show("child flock LOCK_SH (waits)", flock(mine, LOCK_SH));
		_exit(0);
	}
	wait_signal();
	sleep_ms(300);
	printf("parent flock LOCK_UN\n");
	fflush(stdout);
	flock(ffd, LOCK_UN);
	show("child exit", reap(pid));

	/* 7. A blocked flock interrupted by a signal (no SA_RESTART): EINTR. */
	show("parent flock LOCK_EX again", flock(ffd, LOCK_EX));
	pid = fork();
	if (pid == 0) {
		int mine = open("locked", O_RDONLY);
		handle_alarm(0);
		alarm(1);
		show("child flock LOCK_EX, alarm", flock(mine, LOCK_EX));
		_exit(0);
	}
	show("child exit", reap(pid));
	close(ffd);
	close(fd);
	unlink("locked");
	return 0;
}
