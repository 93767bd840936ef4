/*
 * sockets: unix, TCP and UDP sockets, edge by edge. The output does not
 * depend on timing or on port numbers, so elfuse's must equal the native
 * kernel's (the same source built with gcc).
 *   sockets unix DIR | inet | tcp-server | tcp-client PORT | udp-server | tcp-bench MB
 * tcp-server / udp-server print the port they listen on, then echo one
 * peer (TCP: until EOF; UDP: one datagram back, then exit).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHOW(label, expr)                                                    \
  do {                                                                       \
    long r_ = (long)(expr);                                                  \
    if (r_ < 0) printf("%s = -1 %s\n", label, strerrorname_np(errno));       \
    else printf("%s = %ld\n", label, r_);                                    \
    fflush(stdout);                                                          \
  } while (0)

static int send_fd(int sock, int fd) {
  char byte = 'F';
  struct iovec iov = {&byte, 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(sock, &msg, 0);
}

static int recv_fd(int sock, int *fd) {
  char byte;
  struct iovec iov = {&byte, 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  int n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  *fd = -1;
  if (c && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof *fd);
  printf("recvmsg: %d byte '%c', controllen %zu, flags %#x, level %d type %d\n", n, byte, (size_t)msg.msg_controllen, msg.msg_flags,
         c ? c->cmsg_level : -1, c ? c->cmsg_type : -1);
  return n;
}

static void t_unix(const char *dir) {
  int sv[2];
  char buf[64];
  SHOW("socketpair", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  SHOW("cloexec", fcntl(sv[0], F_GETFD));
  SHOW("send", send(sv[0], "hello", 5, 0));
  SHOW("peek", recv(sv[1], buf, sizeof buf, MSG_PEEK));
  SHOW("recv", recv(sv[1], buf, sizeof buf, 0));
  SHOW("recv dontwait", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
  int type = 0, dom = 0;
  socklen_t len = sizeof type;
  SHOW("SO_TYPE", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len));
  len = sizeof dom;
  getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &dom, &len);
  printf("type %d domain %d len %u\n", type, dom, len);
  struct sockaddr_un name;
  len = sizeof name;
  SHOW("getsockname unnamed", getsockname(sv[0], (struct sockaddr *)&name, &len));
  printf("len %u family %d\n", len, name.sun_family);
  int sv2[2] = {-1, -1};
  SHOW("inet socketpair", socketpair(AF_INET, SOCK_STREAM, 0, sv2));
  /* Linux writes the two fd numbers before the family refuses the pair. */
  printf("inet socketpair wrote %d %d\n", sv2[0] - sv[1], sv2[1] - sv[1]);
  SHOW("bad family", socket(12345, SOCK_STREAM, 0));
  SHOW("bad type", socket(AF_UNIX, 99, 0));
  SHOW("type past SOCK_MAX", socket(AF_UNIX, 12, 0));
  SHOW("unsupported type", socket(AF_INET, 4 /* SOCK_RDM */, 0));
  int raw = socket(AF_UNIX, SOCK_RAW, 0);
  int rtype = 0;
  socklen_t rlen = sizeof rtype;
  getsockopt(raw, SOL_SOCKET, SO_TYPE, &rtype, &rlen);
  printf("unix SOCK_RAW is type %d\n", rtype);
  close(raw);
  SHOW("bad protocol", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
  SHOW("not a socket", send(1, "x", 1, 0) < 0 && errno == ENOTSOCK ? -1 : 0);
  /* SCM_RIGHTS: a pipe's read end to a child process */
  int p[2];
  pipe(p);
  write(p[1], "through the pipe", 16);
  close(p[1]);
  pid_t child = fork();
  if (child == 0) {
    close(sv[0]);
    int fd = -1;
    recv_fd(sv[1], &fd);
    printf("child got an fd: %d, cloexec %d\n", fd > 2, fcntl(fd, F_GETFD));
    int n = read(fd, buf, sizeof buf);
    printf("child read %d: %.*s\n", n, n, buf);
    fflush(stdout);
    _exit(0);
  }
  int sent = send_fd(sv[0], p[0]);
  waitpid(child, NULL, 0); /* the child prints first: only then the parent */
  SHOW("send fd", sent);
  close(p[0]);
  /* shutdown, EOF, EPIPE; the reader sees EPOLLRDHUP */
  int ep = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN | EPOLLRDHUP | EPOLLET, {.u64 = 1}}, out[2];
  epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
  SHOW("epoll before shutdown", epoll_wait(ep, out, 2, 0));
  SHOW("shutdown wr", shutdown(sv[0], SHUT_WR));
  int ne = epoll_wait(ep, out, 2, 1000);
  printf("epoll after shutdown: %d events %#x\n", ne, ne > 0 ? out[0].events : 0);
  struct pollfd rp = {sv[1], POLLIN | POLLRDHUP, 0};
  SHOW("poll rdhup", poll(&rp, 1, 0));
  printf("revents %#x\n", rp.revents);
  close(ep);
  SHOW("recv eof", recv(sv[1], buf, sizeof buf, 0));
  SHOW("send after shutdown", send(sv[0], "x", 1, MSG_NOSIGNAL));
  SHOW("bad how", shutdown(sv[0], 7));
  close(sv[0]);
  close(sv[1]);
  signal(SIGPIPE, SIG_IGN);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  close(sv[1]);
  SHOW("write to closed peer", write(sv[0], "x", 1));
  close(sv[0]);
  /* datagrams keep their boundaries; MSG_TRUNC */
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  send(sv[0], "one", 3, 0);
  send(sv[0], "three", 5, 0);
  SHOW("dgram 1", recv(sv[1], buf, sizeof buf, 0));
  SHOW("dgram trunc", recv(sv[1], buf, 2, MSG_TRUNC));
  close(sv[0]);
  close(sv[1]);
  /* a path name: bind, listen, connect from a child, accept, echo */
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s/sock", dir);
  int srv = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("bind path", bind(srv, (struct sockaddr *)&addr, sizeof addr));
  int again = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("bind again", bind(again, (struct sockaddr *)&addr, sizeof addr));
  struct sockaddr_un missing = {.sun_family = AF_UNIX};
  snprintf(missing.sun_path, sizeof missing.sun_path, "%s/nothing", dir);
  SHOW("connect missing", connect(again, (struct sockaddr *)&missing, sizeof missing));
  SHOW("connect not listening", connect(again, (struct sockaddr *)&addr, sizeof addr));
  close(again);
  SHOW("listen", listen(srv, 4));
  len = sizeof name;
  getsockname(srv, (struct sockaddr *)&name, &len);
  printf("bound name is the path: %d, len is offset+strlen+1: %d\n", strcmp(name.sun_path, addr.sun_path) == 0,
         len == offsetof(struct sockaddr_un, sun_path) + strlen(addr.sun_path) + 1);
  child = fork();
  if (child == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&addr, sizeof addr) != 0) _exit(1);
    send(c, "ping", 4, 0);
    int n = recv(c, buf, sizeof buf, MSG_WAITALL);
    printf("child got %d: %.*s\n", n, n, buf);
    fflush(stdout);
    _exit(0);
  }
  int conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
  SHOW("accept4", conn >= 0);
  struct ucred cred;
  len = sizeof cred;
  SHOW("SO_PEERCRED", getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len));
  printf("peer is the child: %d, uid ok %d, len %u\n", cred.pid == child, cred.uid == getuid(), len);
  int n = recv(conn, buf, sizeof buf, 0);
  printf("server got %d: %.*s\n", n, n, buf);
  fflush(stdout);
  send(conn, "pong", 4, 0);
  close(conn);
  waitpid(child, NULL, 0);
  close(srv);
  /* an abstract name */
  struct sockaddr_un abs = {.sun_family = AF_UNIX};
  snprintf(abs.sun_path + 1, sizeof abs.sun_path - 1, "elfuse-abstract-%d", getpid());
  socklen_t abslen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(abs.sun_path + 1);
  int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW("bind abstract", bind(d1, (struct sockaddr *)&abs, abslen));
  SHOW("sendto abstract", sendto(d2, "abs", 3, 0, (struct sockaddr *)&abs, abslen));
  SHOW("recv abstract", recv(d1, buf, sizeof buf, 0));
  len = sizeof name;
  getsockname(d1, (struct sockaddr *)&name, &len);
  printf("abstract name back: %d\n", len == abslen && memcmp(&name, &abs, len) == 0);
}

static void echo_tcp(int conn) {
  char buf[65536];
  for (;;) {
    int n = recv(conn, buf, sizeof buf, 0);
    if (n <= 0) break;
    for (int off = 0; off < n;) {
      int w = send(conn, buf + off, n - off, MSG_NOSIGNAL);
      if (w <= 0) return;
      off += w;
    }
  }
}

static void t_inet(void) {
  char buf[64];
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1, v = 0;
  socklen_t len = sizeof v;
  SHOW("SO_REUSEADDR", setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  getsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &v, &len);
  printf("reuseaddr %d len %u\n", v, len);
  SHOW("short optlen", setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, 2));
  SHOW("unknown option", setsockopt(srv, SOL_SOCKET, 999, &one, sizeof one));
  SHOW("TCP_NODELAY", setsockopt(srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
  len = sizeof v;
  getsockopt(srv, IPPROTO_TCP, TCP_NODELAY, &v, &len);
  printf("nodelay %d\n", v);
  len = sizeof v;
  getsockopt(srv, SOL_SOCKET, SO_PROTOCOL, &v, &len);
  printf("protocol %d\n", v);
  struct linger lg = {1, 5};
  SHOW("SO_LINGER", setsockopt(srv, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  memset(&lg, 0, sizeof lg);
  len = sizeof lg;
  getsockopt(srv, SOL_SOCKET, SO_LINGER, &lg, &len);
  printf("linger %d %d\n", lg.l_onoff, lg.l_linger);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  SHOW("bind short", bind(srv, (struct sockaddr *)&a, 8));
  SHOW("bind", bind(srv, (struct sockaddr *)&a, sizeof a));
  SHOW("bind twice", bind(srv, (struct sockaddr *)&a, sizeof a));
  len = sizeof a;
  getsockname(srv, (struct sockaddr *)&a, &len);
  printf("port assigned %d, addr %s, len %u\n", ntohs(a.sin_port) != 0, inet_ntoa(a.sin_addr), len);
  /* refused: a bound port nobody listens on */
  int c = socket(AF_INET, SOCK_STREAM, 0);
  SHOW("connect refused", connect(c, (struct sockaddr *)&a, sizeof a));
  close(c);
  SHOW("listen", listen(srv, 8));
  len = sizeof v;
  getsockopt(srv, SOL_SOCKET, SO_ACCEPTCONN, &v, &len);
  printf("acceptconn %d\n", v);
  pid_t child = fork();
  if (child == 0) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    printf("nonblocking connect: %s\n", r == 0 ? "done" : strerrorname_np(errno));
    struct pollfd pf = {s, POLLOUT, 0};
    poll(&pf, 1, 5000);
    int err = -1;
    socklen_t el = sizeof err;
    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
    printf("writable %d, SO_ERROR %d\n", (pf.revents & POLLOUT) != 0, err);
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    getpeername(s, (struct sockaddr *)&peer, &pl);
    printf("peer is the server: %d\n", peer.sin_port == a.sin_port);
    fcntl(s, F_SETFL, 0);
    send(s, "hello tcp", 9, 0);
    shutdown(s, SHUT_WR);
    int n = recv(s, buf, sizeof buf, MSG_WAITALL);
    printf("client got %d: %.*s\n", n, n, buf);
    fflush(stdout);
    _exit(0);
  }
  struct sockaddr_in from;
  len = sizeof from;
  int conn = accept(srv, (struct sockaddr *)&from, &len);
  printf("accepted from %s len %u\n", inet_ntoa(from.sin_addr), len);
  fflush(stdout);
  echo_tcp(conn);
  close(conn);
  waitpid(child, NULL, 0);
  /* EAGAIN on a non-blocking listener with nobody waiting */
  fcntl(srv, F_SETFL, O_NONBLOCK);
  SHOW("accept nonblocking", accept(srv, NULL, NULL));
  close(srv);
  /* UDP */
  int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(u1, (struct sockaddr *)&ua, sizeof ua);
  len = sizeof ua;
  getsockname(u1, (struct sockaddr *)&ua, &len);
  SHOW("sendto", sendto(u2, "datagram", 8, 0, (struct sockaddr *)&ua, sizeof ua));
  struct sockaddr_in src;
  len = sizeof src;
  int n = recvfrom(u1, buf, sizeof buf, 0, (struct sockaddr *)&src, &len);
  printf("recvfrom %d: %.*s from %s len %u\n", n, n, buf, inet_ntoa(src.sin_addr), len);
  SHOW("listen on udp", listen(u1, 1));
  struct timeval rto = {0, 50000};
  SHOW("SO_RCVTIMEO", setsockopt(u1, SOL_SOCKET, SO_RCVTIMEO, &rto, sizeof rto));
  struct timeval back;
  len = sizeof back;
  getsockopt(u1, SOL_SOCKET, SO_RCVTIMEO, &back, &len);
  printf("rcvtimeo %ld.%06ld len %u\n", (long)back.tv_sec, (long)back.tv_usec, len);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  SHOW("recv times out", recv(u1, buf, sizeof buf, 0));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("waited >= 50 ms: %d\n", (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 50);
  rto.tv_usec = 0;
  setsockopt(u1, SOL_SOCKET, SO_RCVTIMEO, &rto, sizeof rto);
  SHOW("recv empty", recv(u1, buf, sizeof buf, MSG_DONTWAIT));
  SHOW("connect udp", connect(u2, (struct sockaddr *)&ua, sizeof ua));
  SHOW("send connected", send(u2, "again", 5, 0));
  struct iovec iov[2] = {{buf, 2}, {buf + 10, 10}};
  struct msghdr msg = {.msg_name = &src, .msg_namelen = sizeof src, .msg_iov = iov, .msg_iovlen = 2};
  SHOW("recvmsg", recvmsg(u1, &msg, 0));
  printf("parts %.2s|%.3s namelen %u flags %#x\n", buf, buf + 10, msg.msg_namelen, msg.msg_flags);
  /* sendmmsg / recvmmsg */
  struct mmsghdr mm[3];
  struct iovec mio[3];
  char mbuf[3][16];
  const char *words[3] = {"alpha", "be", "gamma!"};
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < 3; i++) {
    mio[i].iov_base = (void *)words[i];
    mio[i].iov_len = strlen(words[i]);
    mm[i].msg_hdr.msg_iov = &mio[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  SHOW("sendmmsg", sendmmsg(u2, mm, 3, 0));
  printf("lens %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < 3; i++) {
    mio[i].iov_base = mbuf[i];
    mio[i].iov_len = sizeof mbuf[i];
    mm[i].msg_hdr.msg_iov = &mio[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  usleep(20000);
  SHOW("recvmmsg", recvmmsg(u1, mm, 3, MSG_WAITFORONE, NULL));
  printf("got %.*s %.*s %.*s\n", (int)mm[0].msg_len, mbuf[0], (int)mm[1].msg_len, mbuf[1], (int)mm[2].msg_len, mbuf[2]);
  SHOW("recvmmsg empty", recvmmsg(u1, mm, 3, MSG_DONTWAIT, NULL));
  struct sockaddr unspec = {.sa_family = AF_UNSPEC};
  SHOW("disconnect", connect(u2, &unspec, sizeof unspec));
  SHOW("send unconnected", send(u2, "x", 1, 0));
  /* IPv6 loopback */
  int s6 = socket(AF_INET6, SOCK_STREAM, 0);
  len = sizeof v;
  setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  getsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len);
  printf("v6only %d\n", v);
  struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  SHOW("bind6", bind(s6, (struct sockaddr *)&a6, sizeof a6));
  listen(s6, 1);
  len = sizeof a6;
  getsockname(s6, (struct sockaddr *)&a6, &len);
  int c6 = socket(AF_INET6, SOCK_STREAM, 0);
  SHOW("connect6", connect(c6, (struct sockaddr *)&a6, sizeof a6));
  int k6 = accept(s6, NULL, NULL);
  send(c6, "six", 3, 0);
  n = recv(k6, buf, sizeof buf, 0);
  char txt[64];
  inet_ntop(AF_INET6, &a6.sin6_addr, txt, sizeof txt);
  printf("v6 got %d: %.*s on %s len %u\n", n, n, buf, txt, len);
}

static void tcp_server(void) {
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(srv, (struct sockaddr *)&a, sizeof a);
  listen(srv, 1);
  socklen_t len = sizeof a;
  getsockname(srv, (struct sockaddr *)&a, &len);
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  int conn = accept(srv, NULL, NULL);
  echo_tcp(conn);
  close(conn);
}

static void udp_server(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(s, (struct sockaddr *)&a, sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, (struct sockaddr *)&a, &len);
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  char buf[2048];
  struct sockaddr_in from;
  len = sizeof from;
  int n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
  sendto(s, buf, n, 0, (struct sockaddr *)&from, len);
}

static void tcp_client(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
    printf("connect: %s\n", strerrorname_np(errno));
    return;
  }
  const char *msg = "from the guest client";
  send(s, msg, strlen(msg), 0);
  shutdown(s, SHUT_WR);
  char buf[256];
  int n = recv(s, buf, sizeof buf, MSG_WAITALL);
  printf("client got %d: %.*s\n", n, n, buf);
}

/* TCP loopback throughput: a fork child sends MB mebibytes in 64 KiB writes, the parent receives them. */
static void tcp_bench(int mb) {
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(srv, (struct sockaddr *)&a, sizeof a);
  listen(srv, 1);
  socklen_t len = sizeof a;
  getsockname(srv, (struct sockaddr *)&a, &len);
  static char buf[65536];
  pid_t child = fork();
  if (child == 0) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) _exit(1);
    memset(buf, 'x', sizeof buf);
    for (long left = (long)mb << 20; left > 0;) {
      int n = send(s, buf, left < (long)sizeof buf ? left : (long)sizeof buf, 0);
      if (n <= 0) _exit(1);
      left -= n;
    }
    _exit(0);
  }
  int conn = accept(srv, NULL, NULL);
  long total = 0;
  for (;;) {
    int n = recv(conn, buf, sizeof buf, 0);
    if (n <= 0) break;
    total += n;
  }
  int status;
  waitpid(child, &status, 0);
  printf("received %ld bytes, sender status %d\n", total, status);
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  if (!strcmp(what, "unix") && argc > 2) t_unix(argv[2]);
  else if (!strcmp(what, "inet")) t_inet();
  else if (!strcmp(what, "tcp-server")) tcp_server();
  else if (!strcmp(what, "udp-server")) udp_server();
  else if (!strcmp(what, "tcp-client") && argc > 2) tcp_client(atoi(argv[2]));
  else if (!strcmp(what, "tcp-bench") && argc > 2) tcp_bench(atoi(argv[2]));
  else {
    fprintf(stderr, "usage: sockets unix DIR | inet | tcp-server | udp-server | tcp-client PORT | tcp-bench MB\n");
    return 2;
  }
  return 0;
}
