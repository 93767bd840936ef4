// elfuse_posix sockets: the host half of the guest's sockets
// (src/adapters/host-node/sockets.ts, src/domain/kernel/socket.ts).
//
// The domain speaks Linux; this file speaks the host. Between them travel
// neutral values only: families and types as small codes (unix 0, inet 1,
// inet6 2; stream 0, dgram 1, seqpacket 2), addresses as objects
// ({family, port, addr, flowinfo, scopeId} or {family, path}), options by
// name. Each host value is named here once, by its own header's constant,
// so the Linux<->host translation is this table and the domain's.
//
// No call here waits, whatever the description's O_NONBLOCK (which is the
// guest's and shared as for any file): a call that would wait fails with
// EAGAIN (EINPROGRESS for a connect), and the domain waits for readiness
// without blocking the JavaScript thread.

#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <sys/ucred.h>
#endif

#include <string>
#include <vector>

namespace {

Napi::Error SockError(Napi::Env env, const char* op, int err) {
  Napi::Error e = Napi::Error::New(env, op);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, op));
  return e;
}

int Int(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "expected a number argument");
  return info[i].As<Napi::Number>().Int32Value();
}

const int kFamilies[] = {AF_UNIX, AF_INET, AF_INET6};
const int kTypes[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};

int HostFamily(Napi::Env env, int code) {
  if (code < 0 || code > 2) throw SockError(env, "socket", EAFNOSUPPORT);
  return kFamilies[code];
}

int HostType(Napi::Env env, int code) {
  if (code < 0 || code > 2) throw SockError(env, "socket", EINVAL);
  return kTypes[code];
}

// Close-on-exec, blocking (the guest's O_NONBLOCK is set on the description
// afterwards, as for any file), and no SIGPIPE where the host has the option.
void Prepare(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
#if defined(SO_NOSIGPIPE)
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
}

#if defined(MSG_NOSIGNAL)
const int kNoSignal = MSG_NOSIGNAL;
#else
const int kNoSignal = 0;
#endif

// A neutral address object to a host sockaddr; a unix name relative to a
// directory fd (dirfd >= 0) is used relative to it (see WithDir).
socklen_t ToHost(Napi::Env env, Napi::Object a, sockaddr_storage* ss, int* dirfd) {
  memset(ss, 0, sizeof *ss);
  *dirfd = -1;
  int family = a.Get("family").As<Napi::Number>().Int32Value();
  if (family == 0) {
    auto* un = reinterpret_cast<sockaddr_un*>(ss);
    un->sun_family = AF_UNIX;
    Napi::Uint8Array path = a.Get("path").As<Napi::Uint8Array>();
    if (path.ByteLength() > sizeof un->sun_path) throw SockError(env, "sockaddr", ENAMETOOLONG);
    memcpy(un->sun_path, path.Data(), path.ByteLength());
    if (a.Has("dirfd")) *dirfd = a.Get("dirfd").As<Napi::Number>().Int32Value();
#if defined(__APPLE__)
    un->sun_len = sizeof *un;
#endif
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.ByteLength());
  }
  if (family == 1) {
    auto* in = reinterpret_cast<sockaddr_in*>(ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(a.Get("port").As<Napi::Number>().Uint32Value()));
    memcpy(&in->sin_addr, a.Get("addr").As<Napi::Uint8Array>().Data(), 4);
#if defined(__APPLE__)
    in->sin_len = sizeof *in;
#endif
    return sizeof *in;
  }
  if (family == 2) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(a.Get("port").As<Napi::Number>().Uint32Value()));
    in6->sin6_flowinfo = htonl(a.Get("flowinfo").As<Napi::Number>().Uint32Value());
    memcpy(&in6->sin6_addr, a.Get("addr").As<Napi::Uint8Array>().Data(), 16);
    in6->sin6_scope_id = a.Get("scopeId").As<Napi::Number>().Uint32Value();
#if defined(__APPLE__)
    in6->sin6_len = sizeof *in6;
#endif
    return sizeof *in6;
  }
  throw SockError(env, "sockaddr", EAFNOSUPPORT);
}

Napi::Value FromHost(Napi::Env env, const sockaddr_storage* ss, socklen_t len) {
  Napi::Object o = Napi::Object::New(env);
  if (len == 0) return env.Null();
  switch (ss->ss_family) {
    case AF_UNIX: {
      auto* un = reinterpret_cast<const sockaddr_un*>(ss);
      size_t n = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
      if (n > sizeof un->sun_path) n = sizeof un->sun_path;
      o.Set("family", 0);
      Napi::Uint8Array path = Napi::Uint8Array::New(env, n);
      memcpy(path.Data(), un->sun_path, n);
      o.Set("path", path);
      return o;
    }
    case AF_INET: {
      auto* in = reinterpret_cast<const sockaddr_in*>(ss);
      o.Set("family", 1);
      o.Set("port", ntohs(in->sin_port));
      Napi::Uint8Array addr = Napi::Uint8Array::New(env, 4);
      memcpy(addr.Data(), &in->sin_addr, 4);
      o.Set("addr", addr);
      return o;
    }
    case AF_INET6: {
      auto* in6 = reinterpret_cast<const sockaddr_in6*>(ss);
      o.Set("family", 2);
      o.Set("port", ntohs(in6->sin6_port));
      o.Set("flowinfo", ntohl(in6->sin6_flowinfo));
      o.Set("scopeId", in6->sin6_scope_id);
      Napi::Uint8Array addr = Napi::Uint8Array::New(env, 16);
      memcpy(addr.Data(), &in6->sin6_addr, 16);
      o.Set("addr", addr);
      return o;
    }
    default:
      return env.Null();
  }
}

// Runs `fn` with the working directory at `dirfd` (a unix socket name
// relative to a directory: the host has no bindat/connectat everywhere).
// The JavaScript thread is the only one that changes it.
// Runs `fn` with the description non-blocking for the moment (accept and
// connect have no per-call flag; send and recv use MSG_DONTWAIT instead),
// so the JavaScript thread never waits, whatever the shared description says.
template <typename F>
int NoWait(int fd, F fn) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  int r = fn();
  int e = errno;
  if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl);
  errno = e;
  return r;
}

template <typename F>
int WithDir(int dirfd, F fn) {
  if (dirfd < 0) return fn();
  int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (here < 0) return -1;
  if (fchdir(dirfd) != 0) {
    int e = errno;
    close(here);
    errno = e;
    return -1;
  }
  int r = fn();
  int e = errno;
  if (fchdir(here) != 0) {
    // nothing sensible to do: the next path call is relative to a dirfd anyway
  }
  close(here);
  errno = e;
  return r;
}

// sockOpen(family, type, protocol) -> fd
Napi::Value SockOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = socket(HostFamily(env, Int(info, 0)), HostType(env, Int(info, 1)), Int(info, 2));
  if (fd < 0) throw SockError(env, "socket", errno);
  Prepare(fd);
  return Napi::Number::New(env, fd);
}

// sockPair(family, type, protocol) -> [a, b]
Napi::Value SockPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sv[2];
  if (socketpair(HostFamily(env, Int(info, 0)), HostType(env, Int(info, 1)), Int(info, 2), sv) != 0) throw SockError(env, "socketpair", errno);
  Prepare(sv[0]);
  Prepare(sv[1]);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, sv[0]);
  out.Set(1u, sv[1]);
  return out;
}

// sockBind(fd, addr), sockConnect(fd, addr): 0, or an error (EINPROGRESS, EAGAIN...).
Napi::Value SockBind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_storage ss;
  int dirfd;
  socklen_t len = ToHost(env, info[1].As<Napi::Object>(), &ss, &dirfd);
  int fd = Int(info, 0);
  if (WithDir(dirfd, [&] { return bind(fd, reinterpret_cast<sockaddr*>(&ss), len); }) != 0) throw SockError(env, "bind", errno);
  return env.Undefined();
}

Napi::Value SockConnect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_storage ss;
  int dirfd;
  socklen_t len = ToHost(env, info[1].As<Napi::Object>(), &ss, &dirfd);
  int fd = Int(info, 0);
  int r;
  do r = NoWait(fd, [&] { return WithDir(dirfd, [&] { return connect(fd, reinterpret_cast<sockaddr*>(&ss), len); }); });
  while (r != 0 && errno == EINTR);
  if (r != 0) throw SockError(env, "connect", errno);
  return env.Undefined();
}

// sockDisconnect(fd): connect to AF_UNSPEC (a datagram socket forgets its peer).
Napi::Value SockDisconnect(const Napi::CallbackInfo& info) {
  sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_family = AF_UNSPEC;
  if (connect(Int(info, 0), reinterpret_cast<sockaddr*>(&ss), sizeof ss) != 0 && errno != EAFNOSUPPORT) throw SockError(info.Env(), "connect", errno);
  return info.Env().Undefined();
}

Napi::Value SockListen(const Napi::CallbackInfo& info) {
  if (listen(Int(info, 0), Int(info, 1)) != 0) throw SockError(info.Env(), "listen", errno);
  return info.Env().Undefined();
}

// sockAccept(fd) -> {fd, addr}
Napi::Value SockAccept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int fd;
  int lfd = Int(info, 0);
  do fd = NoWait(lfd, [&] { return accept(lfd, reinterpret_cast<sockaddr*>(&ss), &len); });
  while (fd < 0 && errno == EINTR);
  if (fd < 0) throw SockError(env, "accept", errno);
  Prepare(fd);
  Napi::Object o = Napi::Object::New(env);
  o.Set("fd", fd);
  o.Set("addr", FromHost(env, &ss, len));
  return o;
}

// sockName(fd, peer) -> addr
Napi::Value SockName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  bool peer = info[1].As<Napi::Boolean>().Value();
  int r = peer ? getpeername(Int(info, 0), reinterpret_cast<sockaddr*>(&ss), &len) : getsockname(Int(info, 0), reinterpret_cast<sockaddr*>(&ss), &len);
  if (r != 0) throw SockError(env, peer ? "getpeername" : "getsockname", errno);
  return FromHost(env, &ss, len);
}

Napi::Value SockShutdown(const Napi::CallbackInfo& info) {
  static const int how[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
  int h = Int(info, 1);
  if (h < 0 || h > 2) throw SockError(info.Env(), "shutdown", EINVAL);
  if (shutdown(Int(info, 0), how[h]) != 0) throw SockError(info.Env(), "shutdown", errno);
  return info.Env().Undefined();
}

// Neutral message flags: 1 MSG_OOB, 2 MSG_PEEK, 4 MSG_WAITALL (not passed: the domain loops),
// 8 MSG_EOR, 16 MSG_TRUNC (recv: report the real length).
int HostMsgFlags(int f) {
  int h = 0;
  if (f & 1) h |= MSG_OOB;
  if (f & 2) h |= MSG_PEEK;
  if (f & 8) h |= MSG_EOR;
  if (f & 16) h |= MSG_TRUNC;
  return h;
}

// sockSend(fd, data, addr | null, fds[], flags) -> bytes sent
Napi::Value SockSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  sockaddr_storage ss;
  socklen_t alen = 0;
  int dirfd = -1;
  if (info[2].IsObject()) alen = ToHost(env, info[2].As<Napi::Object>(), &ss, &dirfd);
  Napi::Array list = info[3].As<Napi::Array>();
  std::vector<int> fds(list.Length());
  for (uint32_t i = 0; i < fds.size(); i++) fds[i] = list.Get(i).As<Napi::Number>().Int32Value();
  iovec iov = {data.Data(), data.ByteLength()};
  msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = alen ? &ss : nullptr;
  msg.msg_namelen = alen;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (!fds.empty()) {
    control.assign(CMSG_SPACE(fds.size() * sizeof(int)), 0);
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
  }
  int flags = HostMsgFlags(Int(info, 4)) | kNoSignal | MSG_DONTWAIT;
  ssize_t r;
  do r = WithDir(dirfd, [&] { return static_cast<int>(sendmsg(Int(info, 0), &msg, flags)); });
  while (r < 0 && errno == EINTR);
  if (r < 0) throw SockError(env, "sendmsg", errno);
  return Napi::Number::New(env, static_cast<double>(r));
}

// sockRecv(fd, buf, flags, maxFds) -> {n, addr, fds, truncated, ctruncated}
Napi::Value SockRecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array buf = info[1].As<Napi::Uint8Array>();
  int maxFds = Int(info, 3);
  sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  iovec iov = {buf.Data(), buf.ByteLength()};
  msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &ss;
  msg.msg_namelen = sizeof ss;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(maxFds > 0 ? CMSG_SPACE(maxFds * sizeof(int)) : 0);
  if (!control.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
  }
  int flags = HostMsgFlags(Int(info, 2)) | MSG_DONTWAIT;
#if defined(MSG_CMSG_CLOEXEC)
  flags |= MSG_CMSG_CLOEXEC;
#endif
  ssize_t r;
  do r = recvmsg(Int(info, 0), &msg, flags);
  while (r < 0 && errno == EINTR);
  if (r < 0) throw SockError(env, "recvmsg", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("n", static_cast<double>(r));
  o.Set("addr", FromHost(env, &ss, msg.msg_namelen));
  Napi::Array fds = Napi::Array::New(env);
  if (!control.empty()) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const int* p = reinterpret_cast<const int*>(CMSG_DATA(c));
      for (size_t i = 0; i < n; i++) {
        int fd;
        memcpy(&fd, p + i, sizeof fd);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        fds.Set(fds.Length(), fd);
      }
    }
  }
  o.Set("fds", fds);
  o.Set("truncated", (msg.msg_flags & MSG_TRUNC) != 0);
  o.Set("ctruncated", (msg.msg_flags & MSG_CTRUNC) != 0);
  return o;
}

struct Opt {
  const char* name;
  int level;
  int opt;
};

// The options the guest may set and read, by neutral name.
const Opt kOpts[] = {
    {"SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR},
#if defined(SO_REUSEPORT)
    {"SO_REUSEPORT", SOL_SOCKET, SO_REUSEPORT},
#endif
    {"SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE},
    {"SO_BROADCAST", SOL_SOCKET, SO_BROADCAST},
    {"SO_RCVBUF", SOL_SOCKET, SO_RCVBUF},
    {"SO_SNDBUF", SOL_SOCKET, SO_SNDBUF},
    {"SO_OOBINLINE", SOL_SOCKET, SO_OOBINLINE},
    {"SO_RCVLOWAT", SOL_SOCKET, SO_RCVLOWAT},
    {"SO_ERROR", SOL_SOCKET, SO_ERROR},
    {"SO_ACCEPTCONN", SOL_SOCKET, SO_ACCEPTCONN},
    {"TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY},
#if defined(TCP_KEEPIDLE)
    {"TCP_KEEPIDLE", IPPROTO_TCP, TCP_KEEPIDLE},
#elif defined(TCP_KEEPALIVE)
    {"TCP_KEEPIDLE", IPPROTO_TCP, TCP_KEEPALIVE},
#endif
#if defined(TCP_KEEPINTVL)
    {"TCP_KEEPINTVL", IPPROTO_TCP, TCP_KEEPINTVL},
#endif
#if defined(TCP_KEEPCNT)
    {"TCP_KEEPCNT", IPPROTO_TCP, TCP_KEEPCNT},
#endif
    {"IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY},
    {"IP_TTL", IPPROTO_IP, IP_TTL},
    {"IPV6_UNICAST_HOPS", IPPROTO_IPV6, IPV6_UNICAST_HOPS},
};

const Opt* FindOpt(const std::string& name) {
  for (const Opt& o : kOpts)
    if (name == o.name) return &o;
  return nullptr;
}

// sockOpt(fd, name, value?) -> the int value (get) or undefined (set); "SO_LINGER" takes and gives [onoff, seconds].
Napi::Value SockOpt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = Int(info, 0);
  std::string name = info[1].As<Napi::String>().Utf8Value();
  bool set = info.Length() > 2 && !info[2].IsUndefined();
  if (name == "SO_LINGER") {
    linger l;
    if (set) {
      Napi::Array v = info[2].As<Napi::Array>();
      l.l_onoff = v.Get(0u).As<Napi::Number>().Int32Value();
      l.l_linger = v.Get(1u).As<Napi::Number>().Int32Value();
      if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) throw SockError(env, "setsockopt", errno);
      return env.Undefined();
    }
    socklen_t len = sizeof l;
    if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) != 0) throw SockError(env, "getsockopt", errno);
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, l.l_onoff);
    out.Set(1u, l.l_linger);
    return out;
  }
  const Opt* o = FindOpt(name);
  if (!o) throw SockError(env, "setsockopt", ENOPROTOOPT);
  if (set) {
    int v = info[2].As<Napi::Number>().Int32Value();
    if (setsockopt(fd, o->level, o->opt, &v, sizeof v) != 0) throw SockError(env, "setsockopt", errno);
    return env.Undefined();
  }
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(fd, o->level, o->opt, &v, &len) != 0) throw SockError(env, "getsockopt", errno);
  return Napi::Number::New(env, v);
}

// sockPeerCred(fd) -> [pid, uid, gid] of the peer (SO_PEERCRED; LOCAL_PEERPID/LOCAL_PEERCRED on macOS).
Napi::Value SockPeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = Int(info, 0);
  Napi::Array out = Napi::Array::New(env, 3);
#if defined(SO_PEERCRED)
  struct ucred c;
  socklen_t len = sizeof c;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len) != 0) throw SockError(env, "getsockopt", errno);
  out.Set(0u, static_cast<double>(c.pid));
  out.Set(1u, static_cast<double>(c.uid));
  out.Set(2u, static_cast<double>(c.gid));
#elif defined(LOCAL_PEERCRED) && defined(LOCAL_PEERPID)
  pid_t pid = 0;
  socklen_t len = sizeof pid;
  if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &pid, &len) != 0) throw SockError(env, "getsockopt", errno);
  struct xucred x;
  len = sizeof x;
  if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERCRED, &x, &len) != 0) throw SockError(env, "getsockopt", errno);
  out.Set(0u, static_cast<double>(pid));
  out.Set(1u, static_cast<double>(x.cr_uid));
  out.Set(2u, static_cast<double>(x.cr_ngroups > 0 ? x.cr_groups[0] : 0));
#else
  throw SockError(env, "getsockopt", ENOPROTOOPT);
#endif
  return out;
}

// sockType(fd) -> 0 stream, 1 dgram, 2 seqpacket, -1 other or not a socket
Napi::Value SockType(const Napi::CallbackInfo& info) {
  int v = 0;
  socklen_t len = sizeof v;
  int code = -1;
  if (getsockopt(Int(info, 0), SOL_SOCKET, SO_TYPE, &v, &len) == 0) {
    for (int i = 0; i < 3; i++)
      if (kTypes[i] == v) code = i;
  }
  return Napi::Number::New(info.Env(), code);
}

}  // namespace

void InitSockets(Napi::Env env, Napi::Object exports) {
  exports.Set("sockOpen", Napi::Function::New(env, SockOpen));
  exports.Set("sockPair", Napi::Function::New(env, SockPair));
  exports.Set("sockBind", Napi::Function::New(env, SockBind));
  exports.Set("sockConnect", Napi::Function::New(env, SockConnect));
  exports.Set("sockDisconnect", Napi::Function::New(env, SockDisconnect));
  exports.Set("sockListen", Napi::Function::New(env, SockListen));
  exports.Set("sockAccept", Napi::Function::New(env, SockAccept));
  exports.Set("sockName", Napi::Function::New(env, SockName));
  exports.Set("sockShutdown", Napi::Function::New(env, SockShutdown));
  exports.Set("sockSend", Napi::Function::New(env, SockSend));
  exports.Set("sockRecv", Napi::Function::New(env, SockRecv));
  exports.Set("sockOpt", Napi::Function::New(env, SockOpt));
  exports.Set("sockType", Napi::Function::New(env, SockType));
  exports.Set("sockPeerCred", Napi::Function::New(env, SockPeerCred));
}
