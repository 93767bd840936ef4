/* identity: credentials, limits, prctl and scheduling calls, success and
 * error paths, printed deterministically so a run under elfuse can be
 * compared byte for byte with qemu-aarch64 (which forwards these to the
 * real kernel). CPU affinity differs on purpose (the guest has one vCPU),
 * so only its error paths are printed. Starts as root, checks the privileged rules, then drops
 * to uid 1000 and checks the unprivileged ones.
 * Usage: identity [scratch-file]  (the file is written for RLIMIT_FSIZE). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s = -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s = %ld\n", what, r);
}

/* Raw syscalls: glibc's set*id wrappers broadcast to threads and may retry. */
static long sys(long nr, long a, long b, long c)
{
	return syscall(nr, a, b, c);
}

static void resuid(void)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	printf("  uid %u %u %u (getuid %u geteuid %u) gid %u %u %u\n", r, e, s, getuid(), geteuid(), gr, ge, gs);
}

static void groups(void)
{
	gid_t list[16];
	int n = getgroups(0, NULL);
	printf("  getgroups(0) = %d;", n);
	n = getgroups(16, list);
	for (int i = 0; i < n; i++)
		printf(" %u", list[i]);
	printf("\n");
	if (n > 0)
		show("  getgroups(too small)", getgroups(n - 1 > 0 ? n - 1 : 0 ? 0 : -1, list));
}

static void limits(const char *scratch)
{
	struct rlimit rl = { 64, 64 }, got;
	show("setrlimit NOFILE 64", setrlimit(RLIMIT_NOFILE, &rl));
	getrlimit(RLIMIT_NOFILE, &got);
	printf("  NOFILE %llu %llu\n", (unsigned long long)got.rlim_cur, (unsigned long long)got.rlim_max);
	show("dup2(0, 64)", dup2(0, 64));
	show("dup2(0, 63)", dup2(0, 63));
	close(63);
	show("fcntl F_DUPFD 64", fcntl(0, F_DUPFD, 64));
	int last = 0, err = 0;
	for (int i = 0; i < 100; i++) {
		int fd = dup(0);
		if (fd < 0) {
			err = errno;
			break;
		}
		last = fd;
	}
	printf("  dup until failure: last %s, then %s\n", last == 63 ? "63" : "other", strerrorname_np(err));
	for (int fd = 3; fd < 64; fd++)
		close(fd);
	struct rlimit bad = { 10, 5 };
	show("setrlimit cur > max", setrlimit(RLIMIT_NOFILE, &bad));
	show("getrlimit bad resource", getrlimit(99, &got));
	show("prlimit64 other pid", syscall(SYS_prlimit64, 999999, RLIMIT_NOFILE, NULL, &got));

	if (scratch) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit fs = { 100, RLIM_INFINITY };
		setrlimit(RLIMIT_FSIZE, &fs);
		int fd = open(scratch, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		char buf[150];
		memset(buf, 'x', sizeof buf);
		show("write 150 under FSIZE 100", write(fd, buf, sizeof buf));
		show("write again at the limit", write(fd, buf, 10));
		show("pwrite below the limit", pwrite(fd, buf, 10, 95));
		close(fd);
		fs.rlim_cur = RLIM_INFINITY;
		setrlimit(RLIMIT_FSIZE, &fs);
		unlink(scratch);
	}
}

static void prctls(void)
{
	char name[32] = { 0 };
	show("PR_SET_NAME", prctl(PR_SET_NAME, "a-very-long-task-name", 0, 0, 0));
	prctl(PR_GET_NAME, name, 0, 0, 0);
	printf("  name '%s'\n", name);
	show("PR_SET_PDEATHSIG 9", prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0));
	int sig = -1;
	prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
	printf("  pdeathsig %d\n", sig);
	show("PR_SET_PDEATHSIG 99", prctl(PR_SET_PDEATHSIG, 99, 0, 0, 0));
	show("PR_SET_DUMPABLE 1", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	show("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	show("PR_SET_DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2, 0, 0, 0));
	show("PR_SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
	show("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	show("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	show("PR_SET_NO_NEW_PRIVS 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0));
	show("PR_SET_NO_NEW_PRIVS 1, arg3", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
	show("PR_GET_NO_NEW_PRIVS arg2", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
	/* PR_GET_SECCOMP and PR_SET_CHILD_SUBREAPER are left out: qemu answers them itself. */
	show("PR_SET_SECCOMP", prctl(PR_SET_SECCOMP, 1, 0, 0, 0));
	show("PR_CAPBSET_READ 0", prctl(PR_CAPBSET_READ, 0, 0, 0, 0));
	show("PR_CAPBSET_READ 99", prctl(PR_CAPBSET_READ, 99, 0, 0, 0));
	show("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
	show("PR_SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
	show("prctl 12345", prctl(12345, 0, 0, 0, 0));
}

static void sched(void)
{
	show("sched_yield", sched_yield());
	unsigned cpu = 99, node = 99;
	show("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
	printf("  node %u\n", node);
	cpu_set_t set;
	show("sched_getaffinity > 0", sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0);
	show("sched_getaffinity len 3", syscall(SYS_sched_getaffinity, 0, 3, &set));
	show("sched_getaffinity other pid", sched_getaffinity(999999, sizeof set, &set));
	CPU_ZERO(&set);
	show("sched_setaffinity empty", sched_setaffinity(0, sizeof set, &set));
	CPU_SET(0, &set);
	show("sched_setaffinity cpu0", sched_setaffinity(0, sizeof set, &set));
	struct rusage ru;
	show("getrusage SELF", getrusage(RUSAGE_SELF, &ru));
	show("getrusage CHILDREN", getrusage(RUSAGE_CHILDREN, &ru));
	show("getrusage THREAD", getrusage(RUSAGE_THREAD, &ru));
	show("getrusage 5", getrusage(5, &ru));
	errno = 0;
	show("getpriority", getpriority(PRIO_PROCESS, 0));
	show("setpriority 5", setpriority(PRIO_PROCESS, 0, 5));
	show("getpriority", getpriority(PRIO_PROCESS, 0));
	show("setpriority bad which", setpriority(7, 0, 0));
	show("getpriority other pid", getpriority(PRIO_PROCESS, 999999));
	struct sysinfo si;
	show("sysinfo", sysinfo(&si));
	printf("  mem_unit %u\n", si.mem_unit);
	struct utsname u;
	uname(&u);
	printf("  uname %s %s\n", u.sysname, u.machine);
}

int main(int argc, char **argv)
{
	printf("as root:\n");
	resuid();
	groups();
	gid_t g2[2] = { 5, 3 };
	show("setgroups {5,3}", setgroups(2, g2));
	groups();
	show("setuid(-1)", sys(SYS_setuid, -1, 0, 0));
	show("setregid 100 200", sys(SYS_setregid, 100, 200, 0));
	resuid();
	show("setresgid 0 0 0", sys(SYS_setresgid, 0, 0, 0));
	limits(argc > 1 ? argv[1] : NULL);
	prctls();
	sched();

	printf("dropping to 1000/1001/0:\n");
	show("setresuid 1000 1001 0", sys(SYS_setresuid, 1000, 1001, 0));
	resuid();
	show("PR_GET_DUMPABLE after the change", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	int sig = -1;
	prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
	printf("  pdeathsig %d\n", sig);
	show("setuid 1002", sys(SYS_setuid, 1002, 0, 0));
	show("setuid 0 (the saved id)", sys(SYS_setuid, 0, 0, 0));
	resuid();
	show("setresuid -1 1001 -1", sys(SYS_setresuid, -1, 1001, -1));
	show("setreuid 1001 -1", sys(SYS_setreuid, 1001, -1, 0));
	resuid();
	printf("unprivileged:\n");
	show("setuid 0", sys(SYS_setuid, 0, 0, 0));
	show("setresuid 0 -1 -1", sys(SYS_setresuid, 0, -1, -1));
	show("setreuid -1 5", sys(SYS_setreuid, -1, 5, 0));
	show("setgroups", setgroups(2, g2));
	show("setfsuid 5 (old)", sys(SYS_setfsuid, 5, 0, 0));
	show("setfsuid 1001 (unchanged)", sys(SYS_setfsuid, 1001, 0, 0));
	show("setgid 0 (still gid 0)", sys(SYS_setgid, 0, 0, 0));
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_max += 1;
	show("setrlimit raise max", setrlimit(RLIMIT_NOFILE, &rl));
	show("setpriority 0 (lower nice)", setpriority(PRIO_PROCESS, 0, 0));
	show("setpriority 10", setpriority(PRIO_PROCESS, 0, 10));
	show("getpriority", getpriority(PRIO_PROCESS, 0));
	show("getpriority PRIO_USER 1001", getpriority(PRIO_USER, 1001));
	return 0;
}
