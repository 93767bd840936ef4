/* cat-file: open(2)/read(2)/write(2) in fixed chunks, plus the error path:
 * a failed open prints strerror(errno) and exits 1, so errno translation is
 * visible in the output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Not a power of two, so chunk edges fall at odd offsets. */
enum { CHUNK = 4000 };

static int write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char buf[CHUNK];

	if (argc != 2) {
		fprintf(stderr, "usage: cat-file FILE\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cat-file: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "cat-file: read %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		if (write_all(buf, (size_t)n) < 0) {
			fprintf(stderr, "cat-file: write: %s\n", strerror(errno));
			return 1;
		}
	}
	close(fd);
	return 0;
}
