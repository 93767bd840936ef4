/*
 * caps: capget and capset (the three header versions, the version probe,
 * pids), how the sets follow capset, setuid and PR_SET_KEEPCAPS, and what
 * /proc/self/status shows of them, for test/e2e/smallcalls.test.ts,
 * compared with the same source built natively and run on this machine's
 * kernel (qemu-user passes capget to the host). Each experiment runs in a
 * fork child, so the next starts from the process's own sets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *res(long r) {
  static char buf[64];
  if (r >= 0) snprintf(buf, sizeof buf, "%ld", r);
  else snprintf(buf, sizeof buf, "-1 %s", strerrorname_np(errno));
  return buf;
}

static long capget_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d) { return syscall(SYS_capget, h, d); }
static long capset_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d) { return syscall(SYS_capset, h, d); }

static void status_caps(const char *when) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  printf("status %s:", when);
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "Cap", 3) == 0) {
      line[strcspn(line, "\n")] = 0;
      printf(" %s", line);
    }
  }
  printf("\n");
  if (f) fclose(f);
}

static void show(const char *what, unsigned version, int pid) {
  struct __user_cap_header_struct h = {version, pid};
  struct __user_cap_data_struct d[3];
  memset(d, 0xaa, sizeof d);
  long r = capget_(&h, d);
  printf("%s: %s", what, res(r));
  if (r == 0)
    printf(" eff %08x:%08x prm %08x:%08x inh %08x:%08x, beyond %08x", d[1].effective, d[0].effective, d[1].permitted, d[0].permitted, d[1].inheritable,
           d[0].inheritable, d[2].effective);
  printf(", version now %#x\n", h.version);
}

static void in_child(void (*f)(void)) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    f();
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
}

static struct __user_cap_data_struct cur[2];
static void load(void) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  capget_(&h, cur);
}
static long set3(struct __user_cap_data_struct *d) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  return capset_(&h, d);
}

static void drop_setuid(void) {
  load();
  struct __user_cap_data_struct d[2];
  memcpy(d, cur, sizeof d);
  d[0].effective &= ~(1u << CAP_SETUID);
  printf("capset without CAP_SETUID effective: %s\n", res(set3(d)));
  show("after", _LINUX_CAPABILITY_VERSION_3, 0);
  printf("setuid(1234): %s\n", res(setuid(1234)));
  d[0].effective = cur[0].effective;
  printf("raise it again (still permitted): %s\n", res(set3(d)));
  d[0].permitted &= ~(1u << CAP_SETUID);
  d[0].effective &= ~(1u << CAP_SETUID);
  printf("drop it from permitted: %s\n", res(set3(d)));
  d[0].permitted = cur[0].permitted;
  printf("raise permitted again: %s\n", res(set3(d)));
  d[0].effective = cur[0].effective;
  printf("effective beyond permitted: %s\n", res(set3(d)));
  status_caps("after the drops");
}

static void inheritable(void) {
  load();
  struct __user_cap_data_struct d[2];
  memcpy(d, cur, sizeof d);
  d[0].inheritable |= 1u << CAP_KILL;
  d[1].inheritable |= 1u << (CAP_CHECKPOINT_RESTORE - 32);
  printf("inheritable CAP_KILL, CAP_CHECKPOINT_RESTORE: %s\n", res(set3(d)));
  d[1].inheritable |= 1u << 31;
  printf("inheritable bit 63 (no such capability): %s\n", res(set3(d)));
  show("after", _LINUX_CAPABILITY_VERSION_3, 0);
  status_caps("with inheritable");
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_1, 0};
  struct __user_cap_data_struct one = cur[0];
  printf("capset version 1 (upper sets cleared): %s\n", res(capset_(&h, &one)));
  show("after", _LINUX_CAPABILITY_VERSION_3, 0);
}

static void setuid_drops(void) {
  printf("setresuid(1000, 1000, 1000): %s\n", res(setresuid(1000, 1000, 1000)));
  show("after", _LINUX_CAPABILITY_VERSION_3, 0);
  status_caps("as 1000");
  load();
  cur[0].effective |= 1;
  cur[0].permitted |= 1;
  printf("capset raises CAP_CHOWN: %s\n", res(set3(cur)));
}

static void keepcaps(void) {
  printf("PR_SET_KEEPCAPS 1: %s\n", res(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)));
  printf("setresuid(1000, 1000, 1000): %s\n", res(setresuid(1000, 1000, 1000)));
  show("after", _LINUX_CAPABILITY_VERSION_3, 0);
  load();
  cur[0].effective = cur[0].permitted;
  cur[1].effective = cur[1].permitted;
  printf("capset effective = permitted: %s\n", res(set3(cur)));
  show("after", _LINUX_CAPABILITY_VERSION_3, 0);
}

static void ambient(void) {
  printf("PR_CAP_AMBIENT_IS_SET CAP_KILL: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0)));
  printf("PR_CAP_AMBIENT_RAISE CAP_KILL (not inheritable): %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0)));
  load();
  cur[0].inheritable |= 1u << CAP_KILL | 1u << CAP_CHOWN;
  printf("capset inheritable CAP_KILL, CAP_CHOWN: %s\n", res(set3(cur)));
  printf("PR_CAP_AMBIENT_RAISE CAP_KILL: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0)));
  printf("PR_CAP_AMBIENT_RAISE CAP_CHOWN: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0)));
  printf("PR_CAP_AMBIENT_IS_SET CAP_KILL: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0)));
  printf("PR_CAP_AMBIENT_RAISE 41: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 41, 0, 0)));
  printf("PR_CAP_AMBIENT op 9: %s\n", res(prctl(PR_CAP_AMBIENT, 9, CAP_KILL, 0, 0)));
  printf("PR_CAP_AMBIENT_CLEAR_ALL with arg 1: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0)));
  status_caps("with ambient");
  printf("PR_CAP_AMBIENT_LOWER CAP_KILL: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_KILL, 0, 0)));
  cur[0].inheritable &= ~(1u << CAP_CHOWN);
  printf("capset without inheritable CAP_CHOWN: %s\n", res(set3(cur)));
  status_caps("ambient follows inheritable");
  printf("PR_CAP_AMBIENT_RAISE CAP_KILL again: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0)));
  printf("PR_CAP_AMBIENT_CLEAR_ALL: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)));
  printf("PR_CAPBSET_DROP CAP_KILL: %s\n", res(prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0)));
  printf("PR_CAPBSET_DROP 41: %s\n", res(prctl(PR_CAPBSET_DROP, 41, 0, 0, 0)));
  printf("PR_CAPBSET_READ CAP_KILL: %s\n", res(prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0)));
  status_caps("after the drop");
  load();
  cur[0].effective &= ~(1u << CAP_SETPCAP);
  set3(cur);
  printf("PR_CAPBSET_DROP CAP_CHOWN without CAP_SETPCAP: %s\n", res(prctl(PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0)));
}

static void seteuid_back(void) {
  printf("seteuid(1000): %s\n", res(seteuid(1000)));
  show("after", _LINUX_CAPABILITY_VERSION_3, 0);
  printf("seteuid(0): %s\n", res(seteuid(0)));
  show("after", _LINUX_CAPABILITY_VERSION_3, 0);
  printf("setfsuid(1000): %d\n", setfsuid(1000));
  show("after", _LINUX_CAPABILITY_VERSION_3, 0);
  printf("setfsuid(0): %d\n", setfsuid(0));
  show("after", _LINUX_CAPABILITY_VERSION_3, 0);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  show("capget v3 pid 0", _LINUX_CAPABILITY_VERSION_3, 0);
  show("capget v2 pid 0", _LINUX_CAPABILITY_VERSION_2, 0);
  show("capget v1 pid 0", _LINUX_CAPABILITY_VERSION_1, 0);
  show("capget v3 own pid", _LINUX_CAPABILITY_VERSION_3, getpid());
  show("capget v3 pid -1", _LINUX_CAPABILITY_VERSION_3, -1);
  show("capget v3 pid 0x7fffffff", _LINUX_CAPABILITY_VERSION_3, 0x7fffffff);
  show("capget bad version", 0x12345678, 0);
  struct __user_cap_header_struct h = {0, 0};
  printf("capget probe (version 0, data NULL): %s", res(capget_(&h, NULL)));
  printf(", version now %#x\n", h.version);
  h.version = _LINUX_CAPABILITY_VERSION_3;
  printf("capget v3 data NULL: %s\n", res(capget_(&h, NULL)));
  printf("capget header NULL: %s\n", res(capget_(NULL, NULL)));
  printf("capget data unmapped: %s\n", res(capget_(&h, (void *)8)));
  h.version = 1;
  printf("capset bad version: %s", res(capset_(&h, NULL)));
  printf(", version now %#x\n", h.version);
  h.pid = getppid();
  printf("capset the parent: %s\n", res(capset_(&h, cur)));
  h.pid = 0;
  printf("capset data NULL: %s\n", res(capset_(&h, NULL)));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  usleep(200000);
  show("capget of a child", _LINUX_CAPABILITY_VERSION_3, child);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  status_caps("at start");
  for (int c = 0; c <= CAP_LAST_CAP + 1; c += 8) printf("PR_CAPBSET_READ %d: %s\n", c, res(prctl(PR_CAPBSET_READ, c)));
  in_child(drop_setuid);
  in_child(inheritable);
  in_child(setuid_drops);
  in_child(keepcaps);
  in_child(seteuid_back);
  in_child(ambient);
  return 0;
}
