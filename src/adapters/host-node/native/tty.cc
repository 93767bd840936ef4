// elfuse_tty: the few POSIX terminal calls Node does not expose, for the
// HostTerminal adapter (src/adapters/host-node/terminal.ts).
//
// Deliberately thin: it passes the host's own struct termios fields and
// constants through as numbers. Translating between Linux's termios and the
// host's (flag by flag) is done in TypeScript, from the constants this file
// exports, so the table lives in one place and is unit-tested there.
//
// Errors are thrown as JavaScript Errors carrying the host errno number in
// `errno`; the adapter turns it into the host's errno name.
//
// Readiness: poll() with timeout 0 runs on the JavaScript thread; with a
// timeout it runs on a libuv worker thread, together with the read end of a
// wake pipe, so the JavaScript side can end a wait early (a signal arrived)
// without leaving a thread blocked forever.

#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <vector>

namespace {

Napi::Error ErrnoError(Napi::Env env, const char* op, int err) {
  Napi::Error e = Napi::Error::New(env, op);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, op));
  return e;
}

int FdArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "fd must be a number");
  }
  return info[i].As<Napi::Number>().Int32Value();
}

// ---- speeds: speed_t is a B* code on Linux and the rate itself on BSDs ----

struct Speed {
  speed_t code;
  uint32_t bps;
};

const Speed kSpeeds[] = {
    {B0, 0},         {B50, 50},         {B75, 75},         {B110, 110},       {B134, 134},
    {B150, 150},     {B200, 200},       {B300, 300},       {B600, 600},       {B1200, 1200},
    {B1800, 1800},   {B2400, 2400},     {B4800, 4800},     {B9600, 9600},     {B19200, 19200},
    {B38400, 38400},
#ifdef B57600
    {B57600, 57600},
#endif
#ifdef B115200
    {B115200, 115200},
#endif
#ifdef B230400
    {B230400, 230400},
#endif
#ifdef B460800
    {B460800, 460800},
#endif
#ifdef B500000
    {B500000, 500000},
#endif
#ifdef B576000
    {B576000, 576000},
#endif
#ifdef B921600
    {B921600, 921600},
#endif
#ifdef B1000000
    {B1000000, 1000000},
#endif
#ifdef B1152000
    {B1152000, 1152000},
#endif
#ifdef B1500000
    {B1500000, 1500000},
#endif
#ifdef B2000000
    {B2000000, 2000000},
#endif
#ifdef B2500000
    {B2500000, 2500000},
#endif
#ifdef B3000000
    {B3000000, 3000000},
#endif
#ifdef B3500000
    {B3500000, 3500000},
#endif
#ifdef B4000000
    {B4000000, 4000000},
#endif
};

uint32_t SpeedToBps(speed_t s) {
  for (const Speed& sp : kSpeeds) {
    if (sp.code == s) return sp.bps;
  }
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
  return static_cast<uint32_t>(s);
#else
  return 38400;
#endif
}

bool BpsToSpeed(uint32_t bps, speed_t* out) {
  for (const Speed& sp : kSpeeds) {
    if (sp.bps == bps) {
      *out = sp.code;
      return true;
    }
  }
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
  *out = static_cast<speed_t>(bps);  // BSD speed_t is the rate itself
  return true;
#else
  return false;
#endif
}

// ---- constants: what the host's <termios.h> calls each flag ----

Napi::Value Constants(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object iflag = Napi::Object::New(env), oflag = Napi::Object::New(env);
  Napi::Object cflag = Napi::Object::New(env), lflag = Napi::Object::New(env);
  Napi::Object csize = Napi::Object::New(env), cc = Napi::Object::New(env);
#define C(obj, name) obj.Set(#name, Napi::Number::New(env, static_cast<double>(name)));
  C(iflag, IGNBRK) C(iflag, BRKINT) C(iflag, IGNPAR) C(iflag, PARMRK) C(iflag, INPCK)
  C(iflag, ISTRIP) C(iflag, INLCR) C(iflag, IGNCR) C(iflag, ICRNL) C(iflag, IXON)
  C(iflag, IXANY) C(iflag, IXOFF) C(iflag, IMAXBEL)
#ifdef IUCLC
  C(iflag, IUCLC)
#endif
#ifdef IUTF8
  C(iflag, IUTF8)
#endif
  C(oflag, OPOST) C(oflag, ONLCR) C(oflag, OCRNL) C(oflag, ONOCR) C(oflag, ONLRET)
#ifdef OLCUC
  C(oflag, OLCUC)
#endif
#ifdef OFILL
  C(oflag, OFILL)
#endif
#ifdef OFDEL
  C(oflag, OFDEL)
#endif
  C(cflag, CSTOPB) C(cflag, CREAD) C(cflag, PARENB) C(cflag, PARODD) C(cflag, HUPCL)
  C(cflag, CLOCAL)
#ifdef CRTSCTS
  C(cflag, CRTSCTS)
#endif
  C(csize, CSIZE) C(csize, CS5) C(csize, CS6) C(csize, CS7) C(csize, CS8)
  C(lflag, ISIG) C(lflag, ICANON) C(lflag, ECHO) C(lflag, ECHOE) C(lflag, ECHOK)
  C(lflag, ECHONL) C(lflag, NOFLSH) C(lflag, TOSTOP) C(lflag, IEXTEN) C(lflag, ECHOCTL)
  C(lflag, ECHOPRT) C(lflag, ECHOKE) C(lflag, FLUSHO) C(lflag, PENDIN)
#ifdef XCASE
  C(lflag, XCASE)
#endif
  C(cc, VINTR) C(cc, VQUIT) C(cc, VERASE) C(cc, VKILL) C(cc, VEOF) C(cc, VTIME) C(cc, VMIN)
  C(cc, VSTART) C(cc, VSTOP) C(cc, VSUSP) C(cc, VEOL) C(cc, VREPRINT) C(cc, VDISCARD)
  C(cc, VWERASE) C(cc, VLNEXT) C(cc, VEOL2)
#ifdef VSWTC
  C(cc, VSWTC)
#endif
#undef C
  Napi::Object out = Napi::Object::New(env);
  out.Set("iflag", iflag);
  out.Set("oflag", oflag);
  out.Set("cflag", cflag);
  out.Set("lflag", lflag);
  out.Set("csize", csize);
  out.Set("cc", cc);
  out.Set("NCCS", Napi::Number::New(env, NCCS));
  out.Set("VDISABLE", Napi::Number::New(env, _POSIX_VDISABLE));
  return out;
}

// ---- termios ----

Napi::Value TcGetAttr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  struct termios t;
  if (tcgetattr(fd, &t) != 0) throw ErrnoError(env, "tcgetattr", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("iflag", Napi::Number::New(env, static_cast<double>(t.c_iflag)));
  out.Set("oflag", Napi::Number::New(env, static_cast<double>(t.c_oflag)));
  out.Set("cflag", Napi::Number::New(env, static_cast<double>(t.c_cflag)));
  out.Set("lflag", Napi::Number::New(env, static_cast<double>(t.c_lflag)));
  Napi::Array cc = Napi::Array::New(env, NCCS);
  for (uint32_t i = 0; i < NCCS; i++) cc.Set(i, Napi::Number::New(env, t.c_cc[i]));
  out.Set("cc", cc);
  out.Set("ispeed", Napi::Number::New(env, SpeedToBps(cfgetispeed(&t))));
  out.Set("ospeed", Napi::Number::New(env, SpeedToBps(cfgetospeed(&t))));
  return out;
}

tcflag_t FlagField(const Napi::Object& o, const char* name) {
  return static_cast<tcflag_t>(o.Get(name).As<Napi::Number>().DoubleValue());
}

// tcsetattr(fd, when, attrs): when is 0 now, 1 drain, 2 flush.
Napi::Value TcSetAttr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  int when = info[1].As<Napi::Number>().Int32Value();
  Napi::Object in = info[2].As<Napi::Object>();
  struct termios t;
  // Start from the current state so fields the host has and Linux lacks keep their values.
  if (tcgetattr(fd, &t) != 0) throw ErrnoError(env, "tcgetattr", errno);
  t.c_iflag = FlagField(in, "iflag");
  t.c_oflag = FlagField(in, "oflag");
  t.c_cflag = FlagField(in, "cflag");
  t.c_lflag = FlagField(in, "lflag");
  Napi::Array cc = in.Get("cc").As<Napi::Array>();
  for (uint32_t i = 0; i < NCCS && i < cc.Length(); i++) {
    t.c_cc[i] = static_cast<cc_t>(cc.Get(i).As<Napi::Number>().Uint32Value());
  }
  speed_t ispeed, ospeed;
  if (!BpsToSpeed(in.Get("ispeed").As<Napi::Number>().Uint32Value(), &ispeed) ||
      !BpsToSpeed(in.Get("ospeed").As<Napi::Number>().Uint32Value(), &ospeed)) {
    throw ErrnoError(env, "tcsetattr", EINVAL);
  }
  cfsetispeed(&t, ispeed);
  cfsetospeed(&t, ospeed);
  int action = when == 1 ? TCSADRAIN : when == 2 ? TCSAFLUSH : TCSANOW;
  if (tcsetattr(fd, action, &t) != 0) throw ErrnoError(env, "tcsetattr", errno);
  return env.Undefined();
}

// ---- window size, process group, session ----

Napi::Value GetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct winsize ws;
  if (ioctl(FdArg(info, 0), TIOCGWINSZ, &ws) != 0) throw ErrnoError(env, "TIOCGWINSZ", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("rows", Napi::Number::New(env, ws.ws_row));
  out.Set("cols", Napi::Number::New(env, ws.ws_col));
  out.Set("xpixel", Napi::Number::New(env, ws.ws_xpixel));
  out.Set("ypixel", Napi::Number::New(env, ws.ws_ypixel));
  return out;
}

Napi::Value SetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object in = info[1].As<Napi::Object>();
  struct winsize ws;
  ws.ws_row = static_cast<unsigned short>(in.Get("rows").As<Napi::Number>().Uint32Value());
  ws.ws_col = static_cast<unsigned short>(in.Get("cols").As<Napi::Number>().Uint32Value());
  ws.ws_xpixel = static_cast<unsigned short>(in.Get("xpixel").As<Napi::Number>().Uint32Value());
  ws.ws_ypixel = static_cast<unsigned short>(in.Get("ypixel").As<Napi::Number>().Uint32Value());
  if (ioctl(FdArg(info, 0), TIOCSWINSZ, &ws) != 0) throw ErrnoError(env, "TIOCSWINSZ", errno);
  return env.Undefined();
}

Napi::Value TcGetPgrp(const Napi::CallbackInfo& info) {
  pid_t p = tcgetpgrp(FdArg(info, 0));
  if (p < 0) throw ErrnoError(info.Env(), "tcgetpgrp", errno);
  return Napi::Number::New(info.Env(), p);
}

Napi::Value TcSetPgrp(const Napi::CallbackInfo& info) {
  pid_t p = static_cast<pid_t>(info[1].As<Napi::Number>().Int32Value());
  if (tcsetpgrp(FdArg(info, 0), p) != 0) throw ErrnoError(info.Env(), "tcsetpgrp", errno);
  return info.Env().Undefined();
}

Napi::Value TcGetSid(const Napi::CallbackInfo& info) {
  pid_t s = tcgetsid(FdArg(info, 0));
  if (s < 0) throw ErrnoError(info.Env(), "tcgetsid", errno);
  return Napi::Number::New(info.Env(), s);
}

Napi::Value IsATty(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), isatty(FdArg(info, 0)) == 1);
}

// Bytes waiting to be read (FIONREAD).
Napi::Value InQueue(const Napi::CallbackInfo& info) {
  int n = 0;
  if (ioctl(FdArg(info, 0), FIONREAD, &n) != 0) throw ErrnoError(info.Env(), "FIONREAD", errno);
  return Napi::Number::New(info.Env(), n);
}

// ---- pseudo-terminals and the controlling terminal ----
//
// A master is the host's (/dev/ptmx opened by the domain). Linux numbers
// its slaves (TIOCGPTN), keeps them locked until TIOCSPTLCK 0, and opens
// the slave straight from the master (TIOCGPTPEER). macOS has
// TIOCPTYGNAME, TIOCPTYUNLK and /dev/ttysNNN instead: there these fail
// with ENOSYS until the domain learns to map /dev/pts/N to those names.

// ptyNumber(fd) -> N of /dev/pts/N (ENOTTY when fd is no master).
Napi::Value PtyNumber(const Napi::CallbackInfo& info) {
#if defined(__linux__)
  unsigned int n = 0;
  if (ioctl(FdArg(info, 0), TIOCGPTN, &n) != 0) throw ErrnoError(info.Env(), "TIOCGPTN", errno);
  return Napi::Number::New(info.Env(), n);
#else
  throw ErrnoError(info.Env(), "TIOCGPTN", ENOSYS);
#endif
}

// ptyLock(fd, lock?) -> whether the slave is locked (TIOCGPTLCK), after
// setting it when `lock` is given (TIOCSPTLCK).
Napi::Value PtyLock(const Napi::CallbackInfo& info) {
#if defined(__linux__)
  int fd = FdArg(info, 0);
  if (info.Length() > 1 && info[1].IsBoolean()) {
    int v = info[1].As<Napi::Boolean>().Value() ? 1 : 0;
    if (ioctl(fd, TIOCSPTLCK, &v) != 0) throw ErrnoError(info.Env(), "TIOCSPTLCK", errno);
  }
  int locked = 0;
  if (ioctl(fd, TIOCGPTLCK, &locked) != 0) throw ErrnoError(info.Env(), "TIOCGPTLCK", errno);
  return Napi::Boolean::New(info.Env(), locked != 0);
#else
  throw ErrnoError(info.Env(), "TIOCSPTLCK", ENOSYS);
#endif
}

// ptyPeer(fd, access, noctty, nonblock) -> a new host fd on the slave,
// close-on-exec; access 0 read, 1 write, 2 both.
Napi::Value PtyPeer(const Napi::CallbackInfo& info) {
#if defined(__linux__) && defined(TIOCGPTPEER)
  static const int kAccess[] = {O_RDONLY, O_WRONLY, O_RDWR};
  int access = FdArg(info, 1);
  if (access < 0 || access > 2) throw ErrnoError(info.Env(), "TIOCGPTPEER", EINVAL);
  int flags = kAccess[access] | O_CLOEXEC;
  if (info[2].ToBoolean().Value()) flags |= O_NOCTTY;
  if (info[3].ToBoolean().Value()) flags |= O_NONBLOCK;
  int r = ioctl(FdArg(info, 0), TIOCGPTPEER, flags);
  if (r < 0) throw ErrnoError(info.Env(), "TIOCGPTPEER", errno);
  return Napi::Number::New(info.Env(), r);
#else
  throw ErrnoError(info.Env(), "TIOCGPTPEER", ENOSYS);
#endif
}

// setCtty(fd, steal): TIOCSCTTY, the terminal becomes this session's.
Napi::Value SetCtty(const Napi::CallbackInfo& info) {
  if (ioctl(FdArg(info, 0), TIOCSCTTY, info[1].ToBoolean().Value() ? 1 : 0) != 0) throw ErrnoError(info.Env(), "TIOCSCTTY", errno);
  return info.Env().Undefined();
}

// dropCtty(fd): TIOCNOTTY, this process gives up its controlling terminal.
Napi::Value DropCtty(const Napi::CallbackInfo& info) {
  if (ioctl(FdArg(info, 0), TIOCNOTTY) != 0) throw ErrnoError(info.Env(), "TIOCNOTTY", errno);
  return info.Env().Undefined();
}

// ---- readiness ----
//
// Events are passed host-neutrally as bits: 1 readable, 2 writable; results
// add 4 error, 8 hang-up, 16 invalid fd.

int wakePipe[2] = {-1, -1};

short ToPollEvents(int bits) {
  short ev = 0;
  if (bits & 1) ev |= POLLIN;
  if (bits & 2) ev |= POLLOUT;
#if defined(POLLRDHUP)
  if (bits & 32) ev |= POLLRDHUP;
#endif
  return ev;
}

int FromPollEvents(short rev) {
  int bits = 0;
  if (rev & POLLIN) bits |= 1;
  if (rev & POLLOUT) bits |= 2;
  if (rev & POLLERR) bits |= 4;
  if (rev & POLLHUP) bits |= 8;
  if (rev & POLLNVAL) bits |= 16;
#if defined(POLLRDHUP)
  if (rev & POLLRDHUP) bits |= 32;
#endif
  return bits;
}

void ReadRequests(const Napi::CallbackInfo& info, std::vector<struct pollfd>* fds) {
  Napi::Int32Array spec = info[0].As<Napi::Int32Array>();  // fd, events, fd, events...
  for (size_t i = 0; i + 1 < spec.ElementLength(); i += 2) {
    struct pollfd p;
    p.fd = spec[i];
    p.events = ToPollEvents(spec[i + 1]);
    p.revents = 0;
    fds->push_back(p);
  }
}

Napi::Array Results(Napi::Env env, const std::vector<struct pollfd>& fds, size_t n) {
  Napi::Array out = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) out.Set(i, Napi::Number::New(env, FromPollEvents(fds[i].revents)));
  return out;
}

// pollNow(Int32Array [fd, events, ...]) -> number[] of result bits, without waiting.
Napi::Value PollNow(const Napi::CallbackInfo& info) {
  std::vector<struct pollfd> fds;
  ReadRequests(info, &fds);
  int r;
  do r = poll(fds.data(), fds.size(), 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) throw ErrnoError(info.Env(), "poll", errno);
  return Results(info.Env(), fds, fds.size());
}

class PollWorker : public Napi::AsyncWorker {
 public:
  PollWorker(Napi::Function cb, std::vector<struct pollfd> fds, int timeoutMs)
      : Napi::AsyncWorker(cb), fds_(std::move(fds)), timeoutMs_(timeoutMs) {}

  void Execute() override {
    size_t n = fds_.size();
    fds_.push_back({wakePipe[0], POLLIN, 0});
    int r;
    do r = poll(fds_.data(), fds_.size(), timeoutMs_);
    while (r < 0 && errno == EINTR);
    if (r < 0) err_ = errno;
    woken_ = (fds_[n].revents & POLLIN) != 0;
    fds_.pop_back();
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_ != 0) {
      Callback().Call({ErrnoError(env, "poll", err_).Value(), env.Null()});
      return;
    }
    Napi::Value result = woken_ ? env.Null() : Results(env, fds_, fds_.size()).As<Napi::Value>();
    Callback().Call({env.Null(), result});
  }

 private:
  std::vector<struct pollfd> fds_;
  int timeoutMs_;
  int err_ = 0;
  bool woken_ = false;
};

void DrainWakePipe() {
  char buf[64];
  while (read(wakePipe[0], buf, sizeof buf) > 0) {
  }
}

// pollWait(Int32Array, timeoutMs (-1: none), cb(err, bits[] | null when woken)).
Napi::Value PollWait(const Napi::CallbackInfo& info) {
  std::vector<struct pollfd> fds;
  ReadRequests(info, &fds);
  int timeoutMs = info[1].As<Napi::Number>().Int32Value();
  // Drained here, on the JavaScript thread: a wake() issued after this call ends the wait.
  DrainWakePipe();
  auto* worker = new PollWorker(info[2].As<Napi::Function>(), std::move(fds), timeoutMs);
  worker->Queue();
  return info.Env().Undefined();
}

// wake(): ends the pending pollWait, if any, which then reports null.
Napi::Value Wake(const Napi::CallbackInfo& info) {
  char c = 1;
  ssize_t r = write(wakePipe[1], &c, 1);
  (void)r;  // a full pipe already wakes the waiter
  return info.Env().Undefined();
}

// exitNow(code): _exit(2), skipping Node's exit-time reset of the stdio terminals' termios.
Napi::Value ExitNow(const Napi::CallbackInfo& info) {
  _exit(info[0].As<Napi::Number>().Int32Value());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  if (wakePipe[0] < 0) {
    if (pipe(wakePipe) != 0) throw ErrnoError(env, "pipe", errno);
    for (int fd : wakePipe) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }
  exports.Set("constants", Napi::Function::New(env, Constants));
  exports.Set("tcgetattr", Napi::Function::New(env, TcGetAttr));
  exports.Set("tcsetattr", Napi::Function::New(env, TcSetAttr));
  exports.Set("getWinsize", Napi::Function::New(env, GetWinsize));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize));
  exports.Set("tcgetpgrp", Napi::Function::New(env, TcGetPgrp));
  exports.Set("tcsetpgrp", Napi::Function::New(env, TcSetPgrp));
  exports.Set("tcgetsid", Napi::Function::New(env, TcGetSid));
  exports.Set("isatty", Napi::Function::New(env, IsATty));
  exports.Set("inQueue", Napi::Function::New(env, InQueue));
  exports.Set("pollNow", Napi::Function::New(env, PollNow));
  exports.Set("pollWait", Napi::Function::New(env, PollWait));
  exports.Set("wake", Napi::Function::New(env, Wake));
  exports.Set("exitNow", Napi::Function::New(env, ExitNow));
  exports.Set("ptyNumber", Napi::Function::New(env, PtyNumber));
  exports.Set("ptyLock", Napi::Function::New(env, PtyLock));
  exports.Set("ptyPeer", Napi::Function::New(env, PtyPeer));
  exports.Set("setCtty", Napi::Function::New(env, SetCtty));
  exports.Set("dropCtty", Napi::Function::New(env, DropCtty));
  return exports;
}

}  // namespace

NODE_API_MODULE(elfuse_tty, Init)
