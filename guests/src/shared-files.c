/*
 * shared-files: what a fork child shares with its parent through an open
 * file description (the file offset, O_APPEND, O_NONBLOCK) and what it
 * does not (the fd table itself). Parent and child take turns through a
 * pair of pipes, so the output is the same on every run. Works in the
 * current directory; prints no pids, only facts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int to_child[2], to_parent[2], np[2];

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s = -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s = %ld\n", what, r);
	fflush(stdout);
}

/* Hands the turn to the other side and waits for it to come back. */
static void pass(int out, int in)
{
	char c = 't';
	if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1) {
		perror("turn");
		exit(2);
	}
}

static void wait_turn(int in)
{
	char c;
	if (read(in, &c, 1) != 1) exit(0);
}

static void give_turn(int out)
{
	char c = 't';
	if (write(out, &c, 1) != 1) exit(2);
}

static void flags(const char *who, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	printf("%s F_GETFL:%s%s%s\n", who, fl & O_APPEND ? " O_APPEND" : "", fl & O_NONBLOCK ? " O_NONBLOCK" : "",
	       fl & (O_APPEND | O_NONBLOCK) ? "" : " none");
	fflush(stdout);
}

static void dump(const char *name)
{
	char buf[512];
	int fd = open(name, O_RDONLY);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) n = 0;
	buf[n] = 0;
	printf("%s holds %zd bytes:\n%s", name, n, buf);
	fflush(stdout);
}

static int child_status(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid) return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void)
{
	if (pipe(to_child) || pipe(to_parent) || pipe(np)) return 1;

	/* 1. Writes through one description from two processes, in turns. */
	int fd = open("shared.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	int dupfd = dup(fd);
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 3; i++) {
			wait_turn(to_child[0]);
			dprintf(dupfd, "child %d\n", i);
			give_turn(to_parent[1]);
		}
		/* 2. A seek in the child moves the parent's offset. */
		wait_turn(to_child[0]);
		lseek(fd, 4, SEEK_SET);
		/* 3. Status flags set by the child are the parent's too. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_APPEND);
		fcntl(np[0], F_SETFL, fcntl(np[0], F_GETFL) | O_NONBLOCK);
		give_turn(to_parent[1]);
		/* 4. Reads share the offset: the child reads the next bytes. */
		wait_turn(to_child[0]);
		char buf[8] = {0};
		ssize_t n = read(fd, buf, 6);
		printf("child read %zd: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
		fflush(stdout);
		/* 5. readv/writev use the shared offset too. */
		struct iovec iov[2] = {{(char *)"vec", 3}, {(char *)"tor\n", 4}};
		show("child writev (O_APPEND)", writev(fd, iov, 2));
		give_turn(to_parent[1]);
		close(fd);
		close(dupfd);
		_exit(0);
	}
	for (int i = 0; i < 3; i++) {
		dprintf(fd, "parent %d\n", i);
		pass(to_child[1], to_parent[0]);
	}
	show("parent offset after six writes", lseek(fd, 0, SEEK_CUR));
	pass(to_child[1], to_parent[0]);
	show("parent offset after the child's lseek", lseek(fd, 0, SEEK_CUR));
	flags("parent file", fd);
	flags("parent pipe (child set O_NONBLOCK)", np[0]);
	char c;
	show("parent read of the empty pipe", read(np[0], &c, 1));
	show("parent write (O_APPEND from the child)", write(fd, "appended\n", 9));
	show("parent offset after appending", lseek(fd, 0, SEEK_CUR));
	lseek(fd, 0, SEEK_SET);
	char head[4] = {0};
	show("parent read", read(fd, head, 3));
	pass(to_child[1], to_parent[0]);
	show("parent offset after the child's read and writev", lseek(fd, 0, SEEK_CUR));
	show("child exit", child_status(pid));
	close(fd);
	close(dupfd);
	dump("shared.txt");

	/* 6. O_APPEND from open: both processes append, in turns, each line whole. */
	fd = open("append.txt", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 3; i++) {
			wait_turn(to_child[0]);
			lseek(fd, 0, SEEK_SET); /* O_APPEND ignores the offset */
			dprintf(fd, "child line %d\n", i);
			give_turn(to_parent[1]);
		}
		_exit(0);
	}
	for (int i = 0; i < 3; i++) {
		dprintf(fd, "parent line %d\n", i);
		pass(to_child[1], to_parent[0]);
	}
	show("child exit", child_status(pid));
	/* The child turning O_APPEND off is seen here too. */
	pid = fork();
	if (pid == 0) {
		fcntl(fd, F_SETFL, 0);
		_exit(0);
	}
	show("child exit", child_status(pid));
	flags("parent after the child cleared O_APPEND", fd);
	lseek(fd, 0, SEEK_SET);
	show("parent overwrite at 0", write(fd, "PARENT", 6));
	close(fd);
	dump("append.txt");

	/* 7. A descriptor opened in the child is not the parent's; closing a shared one in the child leaves the parent's open. */
	fd = open("shared.txt", O_RDONLY);
	pid = fork();
	if (pid == 0) {
		close(fd);
		int mine = open("append.txt", O_RDONLY);
		_exit(mine == fd ? 0 : 1);
	}
	show("child reused the number (exit 0)", child_status(pid));
	show("parent's fd still reads", read(fd, head, 3));
	close(fd);
	unlink("shared.txt");
	unlink("append.txt");
	return 0;
}
