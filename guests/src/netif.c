/*
 * netif: the interfaces as getifaddrs(3) and if_nameindex(3) see them
 * (NETLINK_ROUTE dumps underneath), the netlink socket itself, and
 * /proc/net. What is printed is the host's configuration, so elfuse's
 * output must equal the same source built natively and run on this
 * machine.
 *   netif getifaddrs | nameindex | netlink | procnet
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHOW(label, expr)                                                    \
  do {                                                                       \
    long r_ = (long)(expr);                                                  \
    if (r_ < 0) printf("%s = -1 %s\n", label, strerrorname_np(errno));       \
    else printf("%s = %ld\n", label, r_);                                    \
    fflush(stdout);                                                          \
  } while (0)

static const char *addr_text(const struct sockaddr *sa, char *buf, size_t len) {
  if (!sa) return "-";
  if (sa->sa_family == AF_INET) return inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, len);
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &s6->sin6_addr, buf, len);
    if (s6->sin6_scope_id) snprintf(buf + strlen(buf), len - strlen(buf), "%%%u", s6->sin6_scope_id);
    return buf;
  }
  if (sa->sa_family == AF_PACKET) {
    const struct sockaddr_ll *ll = (const struct sockaddr_ll *)sa;
    int n = snprintf(buf, len, "ll idx %d type %u len %u", ll->sll_ifindex, ll->sll_hatype, ll->sll_halen);
    for (int i = 0; i < ll->sll_halen && n < (int)len - 4; i++) n += snprintf(buf + n, len - n, "%s%02x", i ? ":" : " ", ll->sll_addr[i]);
    return buf;
  }
  snprintf(buf, len, "family %d", sa->sa_family);
  return buf;
}

static void t_getifaddrs(void) {
  struct ifaddrs *list;
  SHOW("getifaddrs", getifaddrs(&list));
  int lo4 = 0;
  for (struct ifaddrs *i = list; i; i = i->ifa_next) {
    char a[128], m[128], b[128];
    printf("%s fam %d flags %#x addr %s mask %s %s %s\n", i->ifa_name, i->ifa_addr ? i->ifa_addr->sa_family : -1, i->ifa_flags,
           addr_text(i->ifa_addr, a, sizeof a), addr_text(i->ifa_netmask, m, sizeof m),
           (i->ifa_flags & IFF_POINTOPOINT) ? "peer" : "brd", addr_text(i->ifa_broadaddr, b, sizeof b));
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !strcmp(a, "127.0.0.1") && (i->ifa_flags & IFF_LOOPBACK)) lo4 = 1;
  }
  printf("loopback 127.0.0.1 %s\n", lo4 ? "found" : "missing");
  freeifaddrs(list);
}

static void t_nameindex(void) {
  struct if_nameindex *ni = if_nameindex();
  for (struct if_nameindex *p = ni; p && p->if_index; p++) printf("%u %s\n", p->if_index, p->if_name);
  if_freenameindex(ni);
  printf("lo index %u\n", if_nametoindex("lo"));
  char name[IF_NAMESIZE] = "";
  printf("index 1 name %s\n", if_indextoname(1, name) ? name : "-");
  SHOW("nametoindex missing", if_nametoindex("no-such-if0") == 0 ? -1 : 0);
  /* The SIOCGIF* requests behind them, on an ordinary socket. */
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr;
  char a[128];
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  SHOW("SIOCGIFFLAGS lo", ioctl(s, SIOCGIFFLAGS, &ifr));
  printf("flags %#x\n", (unsigned short)ifr.ifr_flags);
  SHOW("SIOCGIFMTU lo", ioctl(s, SIOCGIFMTU, &ifr));
  printf("mtu %d\n", ifr.ifr_mtu);
  SHOW("SIOCGIFTXQLEN lo", ioctl(s, SIOCGIFTXQLEN, &ifr));
  printf("txqlen %d\n", ifr.ifr_qlen);
  SHOW("SIOCGIFHWADDR lo", ioctl(s, SIOCGIFHWADDR, &ifr));
  printf("hw family %u\n", ifr.ifr_hwaddr.sa_family);
  SHOW("SIOCGIFADDR lo", ioctl(s, SIOCGIFADDR, &ifr));
  printf("addr %s\n", addr_text(&ifr.ifr_addr, a, sizeof a));
  SHOW("SIOCGIFNETMASK lo", ioctl(s, SIOCGIFNETMASK, &ifr));
  printf("netmask %s\n", addr_text(&ifr.ifr_netmask, a, sizeof a));
  strcpy(ifr.ifr_name, "no-such-if0");
  SHOW("SIOCGIFINDEX missing", ioctl(s, SIOCGIFINDEX, &ifr));
  struct ifreq reqs[16];
  struct ifconf conf = {.ifc_len = sizeof reqs, .ifc_req = reqs};
  SHOW("SIOCGIFCONF", ioctl(s, SIOCGIFCONF, &conf));
  for (int i = 0; i < conf.ifc_len / (int)sizeof(struct ifreq); i++)
    printf("  %s %s\n", reqs[i].ifr_name, addr_text(&reqs[i].ifr_addr, a, sizeof a));
  struct ifconf count = {.ifc_len = 0, .ifc_req = NULL};
  SHOW("SIOCGIFCONF size", ioctl(s, SIOCGIFCONF, &count));
  printf("ifc_len %d\n", count.ifc_len);
  int p[2];
  (void)!pipe(p);
  SHOW("SIOCGIFINDEX on a pipe", ioctl(p[0], SIOCGIFINDEX, &ifr));
  close(s);
}

/*
 * Sends one request and prints the replies' types and flags up to NLMSG_DONE
 * or an error, across datagrams (how a dump is cut into datagrams depends
 * on the size of the messages, which carry more attributes on Linux).
 */
static void send_request(int fd, int type, int flags, int family, const char *label) {
  struct {
    struct nlmsghdr h;
    struct ifinfomsg i;
  } req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = type;
  req.h.nlmsg_flags = flags;
  req.h.nlmsg_seq = 77;
  req.i.ifi_family = family;
  if (!(flags & NLM_F_DUMP)) req.i.ifi_index = 1;
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  SHOW(label, sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&to, sizeof to) == (long)sizeof req);
}

static void request(int fd, int type, int flags, int family, const char *label) {
  send_request(fd, type, flags, family, label);
  char buf[8192];
  int last = -1, repeat = 0;
  for (int rounds = 0; rounds < 64; rounds++) {
    struct sockaddr_nl from;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {&from, sizeof from, &iov, 1, NULL, 0, 0};
    long n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      printf("  recv: %s\n", strerrorname_np(errno));
      return;
    }
    if (rounds == 0) printf("  from pid %u, namelen %u, flags %#x:", from.nl_pid, msg.msg_namelen, msg.msg_flags);
    int end = 0;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      /* Runs of the same message show once, with their count. */
      int key = h->nlmsg_type << 16 | h->nlmsg_flags;
      if (key == last) {
        repeat++;
        continue;
      }
      if (repeat) printf(" x%d", repeat + 1);
      repeat = 0;
      last = key;
      printf(" [type %u flags %#x seq %u]", h->nlmsg_type, h->nlmsg_flags, h->nlmsg_seq);
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        printf(" error %d (%s) echoes type %u", e->error, e->error ? strerrorname_np(-e->error) : "ack", e->msg.nlmsg_type);
        end = 1;
      }
      if (h->nlmsg_type == NLMSG_DONE) end = 1;
    }
    if (end) {
      if (repeat) printf(" x%d", repeat + 1);
      printf("\n");
      return;
    }
  }
  printf("\n");
}

static void t_netlink(void) {
  SHOW("socket stream", socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE));
  SHOW("socket bad protocol", socket(AF_NETLINK, SOCK_RAW, 99));
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  SHOW("socket", fd >= 0);
  struct stat st;
  SHOW("fstat", fstat(fd, &st));
  printf("S_ISSOCK %d\n", S_ISSOCK(st.st_mode));
  struct sockaddr_nl me;
  socklen_t len = sizeof me;
  SHOW("getsockname unbound", getsockname(fd, (struct sockaddr *)&me, &len));
  printf("family %u pid %u len %u\n", me.nl_family, me.nl_pid, len);
  struct sockaddr_nl bad = {.nl_family = AF_INET};
  SHOW("bind bad family", bind(fd, (struct sockaddr *)&bad, sizeof bad));
  SHOW("bind short", bind(fd, (struct sockaddr *)&me, 4));
  struct sockaddr_nl any = {.nl_family = AF_NETLINK};
  SHOW("bind", bind(fd, (struct sockaddr *)&any, sizeof any));
  len = sizeof me;
  SHOW("getsockname", getsockname(fd, (struct sockaddr *)&me, &len));
  printf("pid is getpid %d\n", (pid_t)me.nl_pid == getpid());
  int fd2 = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
  struct sockaddr_nl same = {.nl_family = AF_NETLINK, .nl_pid = me.nl_pid};
  SHOW("bind taken pid", bind(fd2, (struct sockaddr *)&same, sizeof same));
  SHOW("bind auto", bind(fd2, (struct sockaddr *)&any, sizeof any));
  len = sizeof me;
  getsockname(fd2, (struct sockaddr *)&me, &len);
  printf("second pid negative %d\n", (int)me.nl_pid < 0);
  close(fd2);
  int type = 0;
  len = sizeof type;
  SHOW("SO_TYPE", getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len));
  printf("type %d\n", type);
  SHOW("SO_PROTOCOL", getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &type, &len));
  printf("protocol %d\n", type);
  SHOW("SO_DOMAIN", getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &type, &len));
  printf("domain %d\n", type);
  int one = 1;
  SHOW("NETLINK_EXT_ACK", setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one));
  SHOW("listen", listen(fd, 1));
  SHOW("recv empty", recv(fd, &type, sizeof type, MSG_DONTWAIT));
  request(fd, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, AF_PACKET, "dump links");
  request(fd, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, AF_INET, "dump inet addresses");
  request(fd, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, AF_UNSPEC, "get link 1 with ack");
  request(fd, RTM_GETLINK, NLM_F_ACK, AF_UNSPEC, "not a request, ack");
  /* A small buffer: MSG_TRUNC, and the real length with MSG_TRUNC asked. */
  send_request(fd, RTM_GETLINK, NLM_F_REQUEST, AF_UNSPEC, "get link 1 (peeked)");
  char small[8];
  SHOW("recv peek trunc", recv(fd, small, sizeof small, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT) > (long)sizeof small);
  struct iovec iov = {small, sizeof small};
  struct msghdr msg = {NULL, 0, &iov, 1, NULL, 0, 0};
  SHOW("recvmsg small", recvmsg(fd, &msg, MSG_DONTWAIT));
  printf("msg_flags MSG_TRUNC %d\n", !!(msg.msg_flags & MSG_TRUNC));
  SHOW("recv after", recv(fd, small, sizeof small, MSG_DONTWAIT));
  struct sockaddr_nl other = {.nl_family = AF_NETLINK, .nl_pid = 12345};
  SHOW("send to a process", sendto(fd, small, sizeof small, 0, (struct sockaddr *)&other, sizeof other));
  close(fd);
}

static void show_file_head(const char *path, const char *label) {
  FILE *f = fopen(path, "r");
  if (!f) {
    printf("%s: %s\n", label, strerrorname_np(errno));
    return;
  }
  char line[512];
  if (fgets(line, sizeof line, f)) printf("%s: %s", label, line);
  else printf("%s: empty\n", label);
  fclose(f);
}

static void t_procnet(void) {
  const char *files[] = {"tcp", "tcp6", "udp", "udp6", "unix", "dev"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char p[64];
    snprintf(p, sizeof p, "/proc/net/%s", files[i]);
    show_file_head(p, p);
    snprintf(p, sizeof p, "/proc/self/net/%s", files[i]);
    show_file_head(p, p);
  }
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/net/dev", getpid());
  show_file_head(p, "/proc/PID/net/dev");
  struct stat st;
  SHOW("lstat /proc/net", lstat("/proc/net", &st));
  printf("link %d\n", S_ISLNK(st.st_mode));
  char target[64] = {0};
  SHOW("readlink /proc/net", readlink("/proc/net", target, sizeof target - 1));
  printf("-> %s\n", target);
  /* A listening socket of ours shows in /proc/net/tcp (state 0A) on its port. */
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(s, (struct sockaddr *)&a, sizeof a);
  listen(s, 1);
  socklen_t len = sizeof a;
  getsockname(s, (struct sockaddr *)&a, &len);
  char want[64];
  snprintf(want, sizeof want, "0100007F:%04X 00000000:0000 0A", ntohs(a.sin_port));
  FILE *f = fopen("/proc/net/tcp", "r");
  char line[512];
  int found = 0;
  while (f && fgets(line, sizeof line, f))
    if (strstr(line, want)) found = 1;
  if (f) fclose(f);
  printf("our listener in /proc/net/tcp: %d\n", found);
  close(s);
  /* /proc/net/dev lists lo. */
  f = fopen("/proc/net/dev", "r");
  found = 0;
  while (f && fgets(line, sizeof line, f))
    if (strstr(line, "lo:")) found = 1;
  if (f) fclose(f);
  printf("lo in /proc/net/dev: %d\n", found);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: netif getifaddrs|nameindex|netlink|procnet\n");
    return 2;
  }
  const char *what = argv[1];
  if (!strcmp(what, "getifaddrs")) t_getifaddrs();
  else if (!strcmp(what, "nameindex")) t_nameindex();
  else if (!strcmp(what, "netlink")) t_netlink();
  else if (!strcmp(what, "procnet")) t_procnet();
  else {
    fprintf(stderr, "netif: unknown case %s\n", what);
    return 2;
  }
  return 0;
}
