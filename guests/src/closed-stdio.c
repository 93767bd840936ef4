/*
 * closed-stdio: reports which of fds 0, 1, 2 are open (F_GETFD, EBADF when
 * closed) into the file named by argv[1], then which fd a new open gets
 * (the lowest free one: a closed standard stream's number).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *state(int fd) {
  if (fcntl(fd, F_GETFD) >= 0) return "open";
  return errno == EBADF ? "EBADF" : strerror(errno);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  char line[128];
  int n = snprintf(line, sizeof line, "0 %s, 1 %s, 2 %s\n", state(0), state(1), state(2));
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 3;
  if (write(fd, line, (size_t)n) != n) return 4;
  n = snprintf(line, sizeof line, "open gave fd %d\n", fd);
  if (write(fd, line, (size_t)n) != n) return 4;
  /* A write to a closed stdout is EBADF, not a silent success. */
  errno = 0;
  ssize_t w = write(1, "x", 1);
  n = snprintf(line, sizeof line, "write(1) = %zd (%s)\n", w, w < 0 ? strerror(errno) : "ok");
  if (fd != 1 && write(fd, line, (size_t)n) != n) return 4;
  return 0;
}
