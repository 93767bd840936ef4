/*
 * Syscalls for the --verbose trace test (test/e2e/strace.test.ts): the
 * same source runs under elfuse -v and, built for the host, under
 * strace(1); from the BEGIN marker on, the lines must be the same.
 * Expects data.txt in the working directory.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	char buf[100];
	write(1, "BEGIN\n", 6);
	int fd = openat(AT_FDCWD, "/nonexistent/file", O_RDONLY | O_CLOEXEC);
	fd = openat(AT_FDCWD, "data.txt", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof buf);
	static const char odd[] = "tab\there \"quoted\" \\ \001\0029\n";
	write(1, odd, sizeof odd - 1);
	write(1, buf, n > 0 ? (size_t)n : 0);
	close(fd);
	close(99);
	void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p, 8192);
	fd = openat(AT_FDCWD, "out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0640);
	write(fd, "x", 1);
	close(fd);
	_exit(3);
}
