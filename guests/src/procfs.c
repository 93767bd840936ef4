/* procfs: the synthetic /proc and /dev.
 *   procfs dev   /dev behaviour and the /proc files qemu-aarch64 passes
 *                through from the real kernel: compared byte for byte.
 *   procfs proc  the process's own /proc view (maps, exe, fd, status...)
 *                and the system files, printed for a test that checks them
 *                against proc(5)'s formats and the guest's own state. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s = -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s = %ld\n", what, r);
}

static void statdev(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		printf("stat %s: %s\n", path, strerrorname_np(errno));
		return;
	}
	printf("stat %s: %s mode %o rdev %u,%u\n", path, S_ISCHR(st.st_mode) ? "chr" : S_ISDIR(st.st_mode) ? "dir" : "other",
	       st.st_mode & 07777, major(st.st_rdev), minor(st.st_rdev));
}

static void rl(const char *path)
{
	char buf[256];
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n < 0) {
		printf("readlink %s: %s\n", path, strerrorname_np(errno));
		return;
	}
	buf[n] = 0;
	printf("readlink %s = %s\n", path, buf);
}

static int dev_mode(void)
{
	char buf[64];
	int fd = open("/dev/null", O_RDWR);
	show("open /dev/null", fd >= 0);
	show("read /dev/null", read(fd, buf, sizeof buf));
	show("write /dev/null", write(fd, "hello", 5));
	show("lseek /dev/null 100", lseek(fd, 100, SEEK_SET));
	close(fd);
	statdev("/dev/null");

	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 0x55, sizeof buf);
	show("read /dev/zero", read(fd, buf, 8));
	printf("  bytes %d %d %d\n", buf[0], buf[7], buf[8]);
	close(fd);
	statdev("/dev/zero");

	fd = open("/dev/full", O_RDWR);
	show("write /dev/full", write(fd, "x", 1));
	show("read /dev/full", read(fd, buf, 4));
	close(fd);
	statdev("/dev/full");

	fd = open("/dev/urandom", O_RDONLY);
	show("read /dev/urandom", read(fd, buf, 32));
	show("lseek /dev/urandom", lseek(fd, 0, SEEK_CUR));
	close(fd);
	statdev("/dev/urandom");
	statdev("/dev/random");
	statdev("/dev");

	rl("/dev/stdin");
	rl("/dev/stdout");
	rl("/dev/stderr");
	rl("/dev/fd");
	struct stat st;
	show("lstat /dev/stdin is a link", lstat("/dev/stdin", &st) == 0 && S_ISLNK(st.st_mode));
	show("open /dev/elfuse-nope", open("/dev/elfuse-nope", O_RDONLY));
	show("open /dev/null O_DIRECTORY", open("/dev/null", O_RDONLY | O_DIRECTORY));
	show("readlink /dev/null", readlink("/dev/null", buf, sizeof buf));
	show("access /dev/null R_OK|W_OK", access("/dev/null", R_OK | W_OK));

	fflush(stdout);
	fd = open("/dev/stdout", O_WRONLY);
	show("open /dev/stdout", fd < 0 ? -1 : 1);
	fflush(stdout);
	write(fd, "written through /dev/stdout\n", 28);
	close(fd);
	fd = open("/dev/fd/1", O_WRONLY);
	show("open /dev/fd/1", fd < 0 ? -1 : 1);
	fflush(stdout);
	write(fd, "written through /dev/fd/1\n", 26);
	close(fd);

	prctl(PR_SET_NAME, "renamed", 0, 0, 0);
	fd = open("/proc/self/comm", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("/proc/self/comm = %s", buf);
	close(fd);
	fd = open("/proc/sys/kernel/ostype", O_RDONLY);
	n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("ostype = %s", buf);
	close(fd);
	show("open /proc/self/nope", open("/proc/self/nope", O_RDONLY));
	show("open /proc/self/status O_DIRECTORY", open("/proc/self/status", O_RDONLY | O_DIRECTORY));
	fd = open("/proc/self/status", O_RDONLY);
	show("lseek /proc/self/status SEEK_END", lseek(fd, 0, SEEK_END));
	close(fd);
	return 0;
}

static void cat(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("== %s: %s\n", path, strerrorname_np(errno));
		return;
	}
	printf("== %s\n", path);
	fflush(stdout);
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		write(1, buf, n);
	close(fd);
}

/* The whole file read one byte at a time must equal one big read. */
static void small_reads(const char *path)
{
	char big[8192], small[8192];
	int fd = open(path, O_RDONLY);
	ssize_t nb = read(fd, big, sizeof big);
	show("lseek to 0", lseek(fd, 0, SEEK_SET));
	size_t ns = 0;
	while (ns < sizeof small && read(fd, small + ns, 1) == 1)
		ns++;
	lseek(fd, 10, SEEK_SET);
	char c;
	read(fd, &c, 1);
	printf("small reads of %s: %s, byte 10 %s\n", path, nb == (ssize_t)ns && memcmp(big, small, ns) == 0 ? "same" : "DIFFERENT",
	       c == big[10] ? "same" : "DIFFERENT");
	close(fd);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		printf("ls %s: %s\n", path, strerrorname_np(errno));
		return;
	}
	char *names[256];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256)
		names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof names[0], cmp);
	printf("ls %s:", path);
	for (int i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
}

static int proc_mode(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	free(malloc(100)); /* so there is a heap */
	printf("pid %d\n", getpid());
	char cwd[512];
	printf("getcwd %s\n", getcwd(cwd, sizeof cwd));
	rl("/proc/self/exe");
	rl("/proc/self/cwd");
	rl("/proc/self");
	char own[64];
	snprintf(own, sizeof own, "/proc/%d/exe", getpid());
	rl(own);
	int fd = open("/proc/self/status", O_RDONLY);
	printf("status fd %d\n", fd);
	rl("/proc/self/fd/0");
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	rl(link);
	snprintf(link, sizeof link, "/proc/self/fdinfo/%d", fd);
	cat(link);
	list("/proc/self/fd");
	list("/proc/self");
	list("/proc/sys/kernel");
	struct stat st;
	show("stat /proc/self/status regular, size 0", stat("/proc/self/status", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
	show("stat /proc/self is a dir", stat("/proc/self", &st) == 0 && S_ISDIR(st.st_mode));
	show("lstat /proc/self is a link", lstat("/proc/self", &st) == 0 && S_ISLNK(st.st_mode));
	show("open /proc/self/maps O_WRONLY", open("/proc/self/maps", O_WRONLY));
	small_reads("/proc/self/status");
	small_reads("/proc/self/maps");
	cat("/proc/self/maps");
	cat("/proc/self/status");
	cat("/proc/self/stat");
	cat("/proc/self/mounts");
	cat("/proc/cpuinfo");
	cat("/proc/meminfo");
	cat("/proc/stat");
	cat("/proc/uptime");
	cat("/proc/version");
	cat("/proc/loadavg");
	cat("/proc/filesystems");
	cat("/proc/sys/kernel/osrelease");
	cat("/proc/sys/kernel/pid_max");

	/* cmdline and environ: NUL-separated; print with '|' for NUL. */
	const char *files[] = { "/proc/self/cmdline", "/proc/self/environ" };
	for (int i = 0; i < 2; i++) {
		char buf[8192];
		int f = open(files[i], O_RDONLY);
		ssize_t n = read(f, buf, sizeof buf);
		close(f);
		for (ssize_t j = 0; j < n; j++)
			if (buf[j] == 0)
				buf[j] = '|';
		printf("%s = %.*s\n", files[i], (int)(n > 0 ? n : 0), buf);
	}

	unsigned long aux[128];
	int f = open("/proc/self/auxv", O_RDONLY);
	ssize_t n = read(f, aux, sizeof aux);
	close(f);
	int pagesz_ok = 0, hwcap_ok = 0, ends = 0;
	for (ssize_t i = 0; i + 1 < n / 8; i += 2) {
		if (aux[i] == AT_PAGESZ && aux[i + 1] == getauxval(AT_PAGESZ))
			pagesz_ok = 1;
		if (aux[i] == AT_HWCAP && aux[i + 1] == getauxval(AT_HWCAP))
			hwcap_ok = 1;
		if (aux[i] == AT_NULL)
			ends = 1;
	}
	printf("auxv: %zd bytes, AT_PAGESZ %s, AT_HWCAP %s, AT_NULL %s\n", n, pagesz_ok ? "ok" : "BAD", hwcap_ok ? "ok" : "BAD", ends ? "ok" : "BAD");
	printf("hwcap %lx\n", getauxval(AT_HWCAP));
	printf("hwcap2 %lx\n", getauxval(AT_HWCAP2));
	struct utsname u;
	uname(&u);
	printf("uname %s %s %s\n", u.sysname, u.release, u.machine);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "dev") == 0)
		return dev_mode();
	if (argc > 1 && strcmp(argv[1], "proc") == 0)
		return proc_mode(argc, argv);
	fprintf(stderr, "usage: procfs dev|proc\n");
	return 2;
}
