// elfuse_posix: the POSIX file calls Node does not expose, for the HostFs
// adapter (src/adapters/host-node/fs.ts).
//
// Every path call takes a directory fd and a name, the *at(2) way, so the
// kernel in src/domain/kernel/namei.ts can walk a guest path one component
// at a time without the host ever following a symlink or `..` on its own.
//
// Names travel as bytes: a JavaScript string whose every character is one
// byte (0-255, "latin1"), never decoded as UTF-8, so a file name that is not
// valid UTF-8 survives every call unchanged.
//
// Deliberately thin: flags and constants are the host's own numbers (see
// constants()); the adapter maps the port's neutral flags to them. Errors are
// thrown as JavaScript Errors carrying the host errno number in `errno`.

#include <napi.h>

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <sys/xattr.h>

#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#else
#include <sys/mount.h>
#include <sys/param.h>
#endif

#include <string>
#include <vector>

namespace {

Napi::Error ErrnoError(Napi::Env env, const char* op, int err) {
  Napi::Error e = Napi::Error::New(env, op);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, op));
  return e;
}

int IntArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "expected a number argument");
  }
  return info[i].As<Napi::Number>().Int32Value();
}

uint32_t UintArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "expected a number argument");
  }
  return info[i].As<Napi::Number>().Uint32Value();
}

// A name as bytes: each character of the JavaScript string is one byte.
std::string BytesArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) {
    throw Napi::TypeError::New(info.Env(), "expected a string argument");
  }
  napi_env env = info.Env();
  napi_value v = info[i];
  size_t len = 0;
  napi_status s = napi_get_value_string_latin1(env, v, nullptr, 0, &len);
  if (s != napi_ok) throw Napi::Error::New(info.Env(), "bad string");
  std::string out(len, '\0');
  size_t got = 0;
  s = napi_get_value_string_latin1(env, v, &out[0], len + 1, &got);
  if (s != napi_ok) throw Napi::Error::New(info.Env(), "bad string");
  out.resize(got);
  // A NUL inside would silently shorten the name the host sees.
  if (out.find('\0') != std::string::npos) {
    throw ErrnoError(info.Env(), "name", EINVAL);
  }
  return out;
}

Napi::Value Bytes(Napi::Env env, const char* data, size_t len) {
  napi_value v;
  napi_status s = napi_create_string_latin1(env, data, len, &v);
  if (s != napi_ok) throw Napi::Error::New(env, "string");
  return Napi::Value(env, v);
}

// The stat fields the port reports, in a BigInt64Array the caller owns:
// dev ino mode nlink uid gid rdev size blksize blocks atime mtime ctime btime (ns).
constexpr size_t kStatSlots = 14;

int64_t Ns(time_t sec, long nsec) { return (int64_t)sec * 1000000000LL + nsec; }

void FillStat(const struct stat& st, int64_t* out) {
  out[0] = (int64_t)st.st_dev;
  out[1] = (int64_t)st.st_ino;
  out[2] = (int64_t)st.st_mode;
  out[3] = (int64_t)st.st_nlink;
  out[4] = (int64_t)st.st_uid;
  out[5] = (int64_t)st.st_gid;
  out[6] = (int64_t)st.st_rdev;
  out[7] = (int64_t)st.st_size;
  out[8] = (int64_t)st.st_blksize;
  out[9] = (int64_t)st.st_blocks;
#if defined(__APPLE__)
  out[10] = Ns(st.st_atimespec.tv_sec, st.st_atimespec.tv_nsec);
  out[11] = Ns(st.st_mtimespec.tv_sec, st.st_mtimespec.tv_nsec);
  out[12] = Ns(st.st_ctimespec.tv_sec, st.st_ctimespec.tv_nsec);
  out[13] = Ns(st.st_birthtimespec.tv_sec, st.st_birthtimespec.tv_nsec);
#else
  out[10] = Ns(st.st_atim.tv_sec, st.st_atim.tv_nsec);
  out[11] = Ns(st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  out[12] = Ns(st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
  out[13] = 0;
#endif
}

int64_t* StatOut(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsTypedArray()) {
    throw Napi::TypeError::New(info.Env(), "expected a BigInt64Array");
  }
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_bigint64_array || ta.ElementLength() < kStatSlots) {
    throw Napi::TypeError::New(info.Env(), "expected a BigInt64Array of 14 slots");
  }
  Napi::BigInt64Array arr = info[i].As<Napi::BigInt64Array>();
  return arr.Data();
}

// openat(dirfd, name, hostFlags, mode) -> fd. O_CLOEXEC is always added: a
// host fd must never leak into a program elfuse starts.
Napi::Value OpenAt(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0);
  std::string name = BytesArg(info, 1);
  int flags = IntArg(info, 2) | O_CLOEXEC;
  mode_t mode = (mode_t)UintArg(info, 3);
  int fd;
  do {
    fd = openat(dirfd, name.c_str(), flags, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw ErrnoError(info.Env(), "openat", errno);
  return Napi::Number::New(info.Env(), fd);
}

// An openat that may wait (a FIFO waiting for its other end), on a libuv
// worker thread so the JavaScript thread stays free. The caller ends a wait
// it no longer wants by opening the FIFO's other end itself.
class OpenWorker : public Napi::AsyncWorker {
 public:
  OpenWorker(Napi::Env env, int dirfd, std::string name, int flags, mode_t mode)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), dirfd_(dirfd), name_(std::move(name)), flags_(flags), mode_(mode) {}
  void Execute() override {
    do fd_ = openat(dirfd_, name_.c_str(), flags_, mode_);
    while (fd_ < 0 && errno == EINTR);
    err_ = fd_ < 0 ? errno : 0;
  }
  void OnOK() override {
    if (err_ != 0) deferred_.Reject(ErrnoError(Env(), "openat", err_).Value());
    else deferred_.Resolve(Napi::Number::New(Env(), fd_));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }
  Napi::Promise Promise() { return deferred_.Promise(); }

 private:
  Napi::Promise::Deferred deferred_;
  int dirfd_;
  std::string name_;
  int flags_;
  mode_t mode_;
  int fd_ = -1;
  int err_ = 0;
};

// openatWait(dirfd, name, hostFlags, mode) -> Promise<fd>, close-on-exec like openat.
Napi::Value OpenAtWait(const Napi::CallbackInfo& info) {
  auto* worker = new OpenWorker(info.Env(), IntArg(info, 0), BytesArg(info, 1), IntArg(info, 2) | O_CLOEXEC, (mode_t)UintArg(info, 3));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// fstatat(dirfd, name, hostAtFlags, out)
Napi::Value FstatAt(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0);
  std::string name = BytesArg(info, 1);
  int flags = IntArg(info, 2);
  int64_t* out = StatOut(info, 3);
  struct stat st;
  if (fstatat(dirfd, name.c_str(), &st, flags) != 0) throw ErrnoError(info.Env(), "fstatat", errno);
  FillStat(st, out);
  return info.Env().Undefined();
}

// fstat(fd, out)
Napi::Value Fstat(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0);
  int64_t* out = StatOut(info, 1);
  struct stat st;
  if (fstat(fd, &st) != 0) throw ErrnoError(info.Env(), "fstat", errno);
  FillStat(st, out);
  return info.Env().Undefined();
}

// readlinkat(dirfd, name) -> bytes. "" with an O_PATH fd of a symlink reads that link.
Napi::Value ReadlinkAt(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0);
  std::string name = BytesArg(info, 1);
  std::vector<char> buf(PATH_MAX);
  for (;;) {
    ssize_t n = readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
    if (n < 0) throw ErrnoError(info.Env(), "readlinkat", errno);
    if ((size_t)n < buf.size()) return Bytes(info.Env(), buf.data(), (size_t)n);
    buf.resize(buf.size() * 2);  // a link longer than PATH_MAX (possible on some hosts)
  }
}

Napi::Value MkdirAt(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0);
  std::string name = BytesArg(info, 1);
  if (mkdirat(dirfd, name.c_str(), (mode_t)UintArg(info, 2)) != 0) throw ErrnoError(info.Env(), "mkdirat", errno);
  return info.Env().Undefined();
}

// mknodat(dirfd, name, mode): FIFOs and regular files only (mode carries S_IFIFO/S_IFREG).
Napi::Value MknodAt(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0);
  std::string name = BytesArg(info, 1);
  mode_t mode = (mode_t)UintArg(info, 2);
  int r;
  if ((mode & S_IFMT) == S_IFIFO) {
    r = mkfifoat(dirfd, name.c_str(), mode & 07777);
  } else {
    r = mknodat(dirfd, name.c_str(), mode, 0);
  }
  if (r != 0) throw ErrnoError(info.Env(), "mknodat", errno);
  return info.Env().Undefined();
}

Napi::Value UnlinkAt(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0);
  std::string name = BytesArg(info, 1);
  if (unlinkat(dirfd, name.c_str(), IntArg(info, 2)) != 0) throw ErrnoError(info.Env(), "unlinkat", errno);
  return info.Env().Undefined();
}

// renameat2(olddirfd, old, newdirfd, new, how): how 0 plain, 1 no-replace, 2 exchange.
// Both are atomic on the host: Linux's renameat2, macOS's renameatx_np.
Napi::Value RenameAt(const Napi::CallbackInfo& info) {
  int olddirfd = IntArg(info, 0);
  std::string from = BytesArg(info, 1);
  int newdirfd = IntArg(info, 2);
  std::string to = BytesArg(info, 3);
  int how = IntArg(info, 4);
  int r;
  if (how == 0) {
    r = renameat(olddirfd, from.c_str(), newdirfd, to.c_str());
  } else {
#if defined(__linux__) && defined(SYS_renameat2)
    unsigned flags = how == 1 ? 1u /* RENAME_NOREPLACE */ : 2u /* RENAME_EXCHANGE */;
    r = (int)syscall(SYS_renameat2, olddirfd, from.c_str(), newdirfd, to.c_str(), flags);
#elif defined(__APPLE__)
    unsigned flags = how == 1 ? RENAME_EXCL : RENAME_SWAP;
    r = renameatx_np(olddirfd, from.c_str(), newdirfd, to.c_str(), flags);
#else
    errno = ENOSYS;
    r = -1;
#endif
  }
  if (r != 0) throw ErrnoError(info.Env(), "renameat", errno);
  return info.Env().Undefined();
}

// linkat(olddirfd, old, newdirfd, new, hostAtFlags): never AT_SYMLINK_FOLLOW from the caller.
Napi::Value LinkAt(const Napi::CallbackInfo& info) {
  int olddirfd = IntArg(info, 0);
  std::string from = BytesArg(info, 1);
  int newdirfd = IntArg(info, 2);
  std::string to = BytesArg(info, 3);
  int flags = IntArg(info, 4);
  if (linkat(olddirfd, from.c_str(), newdirfd, to.c_str(), flags) != 0) throw ErrnoError(info.Env(), "linkat", errno);
  return info.Env().Undefined();
}

Napi::Value SymlinkAt(const Napi::CallbackInfo& info) {
  std::string target = BytesArg(info, 0);
  int dirfd = IntArg(info, 1);
  std::string name = BytesArg(info, 2);
  if (symlinkat(target.c_str(), dirfd, name.c_str()) != 0) throw ErrnoError(info.Env(), "symlinkat", errno);
  return info.Env().Undefined();
}

#if defined(__linux__)
// chmod of the object an O_PATH fd refers to, through its /proc/self/fd magic
// link (which names that inode exactly: no path is walked). Used where the
// host lacks fchmodat2 for AT_SYMLINK_NOFOLLOW / AT_EMPTY_PATH.
int ChmodByPathFd(int fd, mode_t mode) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -1;
  if (S_ISLNK(st.st_mode)) {
    errno = EOPNOTSUPP;  // Linux cannot change a symlink's mode
    return -1;
  }
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  return chmod(proc, mode);
}
#endif

// fchmodat(dirfd, name, mode, hostAtFlags): AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH honoured.
Napi::Value FchmodAt(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0);
  std::string name = BytesArg(info, 1);
  mode_t mode = (mode_t)UintArg(info, 2);
  int flags = IntArg(info, 3);
  int r;
#if defined(__linux__)
  if (flags == 0) {
    r = fchmodat(dirfd, name.c_str(), mode, 0);
  } else {
#ifdef SYS_fchmodat2
    r = (int)syscall(SYS_fchmodat2, dirfd, name.c_str(), mode, flags);
#else
    r = (int)syscall(452, dirfd, name.c_str(), mode, flags);
#endif
    if (r != 0 && errno == ENOSYS) {
      int fd = name.empty() ? dup(dirfd) : openat(dirfd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) throw ErrnoError(info.Env(), "fchmodat", errno);
      r = ChmodByPathFd(fd, mode);
      int saved = errno;
      close(fd);
      errno = saved;
    }
  }
#else
  r = fchmodat(dirfd, name.c_str(), mode, flags);
#endif
  if (r != 0) throw ErrnoError(info.Env(), "fchmodat", errno);
  return info.Env().Undefined();
}

// fchownat(dirfd, name, uid, gid, hostAtFlags); -1 leaves an id unchanged.
Napi::Value FchownAt(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0);
  std::string name = BytesArg(info, 1);
  uid_t uid = (uid_t)IntArg(info, 2);
  gid_t gid = (gid_t)IntArg(info, 3);
  if (fchownat(dirfd, name.c_str(), uid, gid, IntArg(info, 4)) != 0) throw ErrnoError(info.Env(), "fchownat", errno);
  return info.Env().Undefined();
}

// A time as the caller gives it: a BigInt of nanoseconds, or "now" / "omit".
struct timespec TimeArg(const Napi::CallbackInfo& info, size_t i) {
  struct timespec ts;
  if (info[i].IsString()) {
    std::string s = info[i].As<Napi::String>().Utf8Value();
    ts.tv_sec = 0;
    ts.tv_nsec = s == "now" ? UTIME_NOW : UTIME_OMIT;
    return ts;
  }
  bool lossless = false;
  int64_t ns = info[i].As<Napi::BigInt>().Int64Value(&lossless);
  int64_t sec = ns / 1000000000LL;
  int64_t rem = ns % 1000000000LL;
  if (rem < 0) {
    rem += 1000000000LL;
    sec -= 1;
  }
  ts.tv_sec = (time_t)sec;
  ts.tv_nsec = (long)rem;
  return ts;
}

// utimensat(dirfd, name, atime, mtime, hostAtFlags): nanoseconds, UTIME_NOW/UTIME_OMIT native.
Napi::Value UtimensAt(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0);
  std::string name = BytesArg(info, 1);
  struct timespec ts[2] = {TimeArg(info, 2), TimeArg(info, 3)};
  int flags = IntArg(info, 4);
  int r;
  if (name.empty() && !(flags & AT_EMPTY_PATH)) {
    r = futimens(dirfd, ts);
  } else {
    r = utimensat(dirfd, name.c_str(), ts, flags);
  }
  if (r != 0) throw ErrnoError(info.Env(), "utimensat", errno);
  return info.Env().Undefined();
}

// faccessat(dirfd, name, mode, hostAtFlags): the real ids, AT_SYMLINK_NOFOLLOW honoured.
Napi::Value FaccessAt(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0);
  std::string name = BytesArg(info, 1);
  int mode = IntArg(info, 2);
  int flags = IntArg(info, 3);
  int r;
#if defined(__linux__) && defined(SYS_faccessat2)
  r = (int)syscall(SYS_faccessat2, dirfd, name.c_str(), mode, flags);
  if (r != 0 && errno == ENOSYS) r = faccessat(dirfd, name.c_str(), mode, flags);
#else
  r = faccessat(dirfd, name.c_str(), mode, flags);
#endif
  if (r != 0) throw ErrnoError(info.Env(), "faccessat", errno);
  return info.Env().Undefined();
}

// readdir(fd) -> [names[], types[], inos[]] of the directory fd refers to, in the
// host's order, without "." and "..". types are DT_* values (the same on Linux and macOS).
Napi::Value ReadDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int dirfd = IntArg(info, 0);
  // A fresh description, so the caller's offset is untouched and O_PATH fds work too.
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw ErrnoError(env, "readdir", errno);
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    int e = errno;
    close(fd);
    throw ErrnoError(env, "readdir", e);
  }
  Napi::Array names = Napi::Array::New(env);
  Napi::Array types = Napi::Array::New(env);
  Napi::Array inos = Napi::Array::New(env);
  uint32_t n = 0;
  for (;;) {
    errno = 0;
    struct dirent* e = readdir(d);
    if (e == nullptr) {
      int err = errno;
      closedir(d);
      if (err != 0) throw ErrnoError(env, "readdir", err);
      break;
    }
    const char* nm = e->d_name;
    if (nm[0] == '.' && (nm[1] == 0 || (nm[1] == '.' && nm[2] == 0))) continue;
    names.Set(n, Bytes(env, nm, strlen(nm)));
    types.Set(n, Napi::Number::New(env, e->d_type));
    inos.Set(n, Napi::BigInt::New(env, (uint64_t)e->d_ino));
    n++;
  }
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, names);
  out.Set(1u, types);
  out.Set(2u, inos);
  return out;
}

// fstatfs(fd) -> [type, bsize, blocks, bfree, bavail, files, ffree] as BigInts.
Napi::Value Fstatfs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0);
  struct statfs s;
  if (fstatfs(fd, &s) != 0) throw ErrnoError(env, "fstatfs", errno);
  Napi::Array out = Napi::Array::New(env, 7);
  out.Set(0u, Napi::BigInt::New(env, (uint64_t)s.f_type));
  out.Set(1u, Napi::BigInt::New(env, (uint64_t)s.f_bsize));
  out.Set(2u, Napi::BigInt::New(env, (uint64_t)s.f_blocks));
  out.Set(3u, Napi::BigInt::New(env, (uint64_t)s.f_bfree));
  out.Set(4u, Napi::BigInt::New(env, (uint64_t)s.f_bavail));
  out.Set(5u, Napi::BigInt::New(env, (uint64_t)s.f_files));
  out.Set(6u, Napi::BigInt::New(env, (uint64_t)s.f_ffree));
  return out;
}

// Extended attributes. The object is named the *at way, (fd, name): an empty
// name is the object fd refers to; otherwise name is a component inside the
// directory fd, never followed if it is a symlink (the domain's walk follows
// links itself). Neither host has *xattrat calls everywhere, so a name goes
// through a path: /proc/self/fd/N/name on Linux, F_GETPATH's path of the
// directory on macOS, whose calls take an extra position argument and
// XATTR_NOFOLLOW instead of the l* variants.
struct XattrTarget {
  int fd;           // the object itself when path is empty
  std::string path; // else the host path of the name, not to be followed
};

XattrTarget XattrTargetArg(const Napi::CallbackInfo& info) {
  XattrTarget t;
  t.fd = IntArg(info, 0);
  std::string name = BytesArg(info, 1);
  if (name.empty()) return t;
#if defined(__APPLE__)
  char dir[PATH_MAX];
  if (fcntl(t.fd, F_GETPATH, dir) != 0) throw ErrnoError(info.Env(), "fcntl", errno);
  t.path = std::string(dir) + "/" + name;
#else
  t.path = "/proc/self/fd/" + std::to_string(t.fd) + "/" + name;
#endif
  return t;
}

// The buffer a size asks for: none for 0 (the call then reports the size it needs).
Napi::Value XattrResult(Napi::Env env, ssize_t n, const std::vector<char>& buf, size_t size, const char* op) {
  if (n < 0) throw ErrnoError(env, op, errno);
  if (size == 0) return Napi::Number::New(env, (double)n);
  return Napi::Buffer<char>::Copy(env, buf.data(), (size_t)n);
}

// getxattr(fd, name, attr, size) -> Buffer of the value, or its length for size 0.
Napi::Value GetXattr(const Napi::CallbackInfo& info) {
  XattrTarget t = XattrTargetArg(info);
  std::string attr = BytesArg(info, 2);
  size_t size = UintArg(info, 3);
  std::vector<char> buf(size);
  void* out = size ? buf.data() : nullptr;
  ssize_t n;
#if defined(__APPLE__)
  n = t.path.empty() ? fgetxattr(t.fd, attr.c_str(), out, size, 0, 0) : getxattr(t.path.c_str(), attr.c_str(), out, size, 0, XATTR_NOFOLLOW);
#else
  n = t.path.empty() ? fgetxattr(t.fd, attr.c_str(), out, size) : lgetxattr(t.path.c_str(), attr.c_str(), out, size);
#endif
  return XattrResult(info.Env(), n, buf, size, "getxattr");
}

// listxattr(fd, name, size) -> Buffer of NUL-terminated names, or its length for size 0.
Napi::Value ListXattr(const Napi::CallbackInfo& info) {
  XattrTarget t = XattrTargetArg(info);
  size_t size = UintArg(info, 2);
  std::vector<char> buf(size);
  char* out = size ? buf.data() : nullptr;
  ssize_t n;
#if defined(__APPLE__)
  n = t.path.empty() ? flistxattr(t.fd, out, size, 0) : listxattr(t.path.c_str(), out, size, XATTR_NOFOLLOW);
#else
  n = t.path.empty() ? flistxattr(t.fd, out, size) : llistxattr(t.path.c_str(), out, size);
#endif
  return XattrResult(info.Env(), n, buf, size, "listxattr");
}

// setxattr(fd, name, attr, value, mode): mode 0 any, 1 create only, 2 replace only.
Napi::Value SetXattr(const Napi::CallbackInfo& info) {
  XattrTarget t = XattrTargetArg(info);
  std::string attr = BytesArg(info, 2);
  if (info.Length() <= 3 || !info[3].IsBuffer()) throw Napi::TypeError::New(info.Env(), "expected a Buffer");
  Napi::Buffer<char> value = info[3].As<Napi::Buffer<char>>();
  int mode = IntArg(info, 4);
  int flags = mode == 1 ? XATTR_CREATE : mode == 2 ? XATTR_REPLACE : 0;
  int r;
#if defined(__APPLE__)
  r = t.path.empty() ? fsetxattr(t.fd, attr.c_str(), value.Data(), value.Length(), 0, flags)
                     : setxattr(t.path.c_str(), attr.c_str(), value.Data(), value.Length(), 0, flags | XATTR_NOFOLLOW);
#else
  r = t.path.empty() ? fsetxattr(t.fd, attr.c_str(), value.Data(), value.Length(), flags)
                     : lsetxattr(t.path.c_str(), attr.c_str(), value.Data(), value.Length(), flags);
#endif
  if (r != 0) throw ErrnoError(info.Env(), "setxattr", errno);
  return info.Env().Undefined();
}

// removexattr(fd, name, attr)
Napi::Value RemoveXattr(const Napi::CallbackInfo& info) {
  XattrTarget t = XattrTargetArg(info);
  std::string attr = BytesArg(info, 2);
  int r;
#if defined(__APPLE__)
  r = t.path.empty() ? fremovexattr(t.fd, attr.c_str(), 0) : removexattr(t.path.c_str(), attr.c_str(), XATTR_NOFOLLOW);
#else
  r = t.path.empty() ? fremovexattr(t.fd, attr.c_str()) : lremovexattr(t.path.c_str(), attr.c_str());
#endif
  if (r != 0) throw ErrnoError(info.Env(), "removexattr", errno);
  return info.Env().Undefined();
}

// setNonBlock(fd, on): O_NONBLOCK on the open file description, as F_SETFL sets it.
Napi::Value SetNonBlock(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0);
  bool on = info.Length() > 1 && info[1].ToBoolean().Value();
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) throw ErrnoError(info.Env(), "fcntl", errno);
  int want = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  if (want != fl && fcntl(fd, F_SETFL, want) != 0) throw ErrnoError(info.Env(), "fcntl", errno);
  return info.Env().Undefined();
}


// ---- descriptors shared with other processes: offsets, status flags, pipes, locks ----

// lseek(fd, offset (BigInt), whence) -> BigInt: the host's offset of the
// open file description, shared with every process that shares it.
Napi::Value Lseek(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0);
  bool lossless = false;
  int64_t off = info[1].As<Napi::BigInt>().Int64Value(&lossless);
  int whence = IntArg(info, 2);
  off_t r = lseek(fd, (off_t)off, whence);
  if (r < 0) throw ErrnoError(info.Env(), "lseek", errno);
  return Napi::BigInt::New(info.Env(), (int64_t)r);
}

// getfl(fd) -> the description's status flags (host values).
Napi::Value GetFl(const Napi::CallbackInfo& info) {
  int fl = fcntl(IntArg(info, 0), F_GETFL);
  if (fl < 0) throw ErrnoError(info.Env(), "fcntl", errno);
  return Napi::Number::New(info.Env(), fl);
}

// setfl(fd, flags): F_SETFL (the host changes only O_APPEND, O_NONBLOCK and the like).
Napi::Value SetFl(const Napi::CallbackInfo& info) {
  if (fcntl(IntArg(info, 0), F_SETFL, IntArg(info, 1)) != 0) throw ErrnoError(info.Env(), "fcntl", errno);
  return info.Env().Undefined();
}

// pipe2(nonblock, direct) -> [read end, write end], close-on-exec; direct
// asks for a packet pipe (Linux's O_DIRECT, ignored where the host has none).
Napi::Value Pipe2(const Napi::CallbackInfo& info) {
  bool nonblock = info.Length() > 0 && info[0].ToBoolean().Value();
  bool direct = info.Length() > 1 && info[1].ToBoolean().Value();
  int fds[2];
#if defined(__linux__)
  if (pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0) | (direct ? O_DIRECT : 0)) != 0) throw ErrnoError(info.Env(), "pipe2", errno);
#else
  (void)direct;
  if (pipe(fds) != 0) throw ErrnoError(info.Env(), "pipe", errno);
  for (int fd : fds) {
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (nonblock) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
#endif
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  out.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return out;
}

// flock(fd, op): op is LOCK_SH/LOCK_EX/LOCK_UN, always with LOCK_NB: a lock
// that must wait is retried by the caller, so the JavaScript thread never blocks.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  int op = IntArg(info, 1);
  int hostOp = (op == 1 ? LOCK_SH : op == 2 ? LOCK_EX : LOCK_UN) | LOCK_NB;
  if (flock(IntArg(info, 0), hostOp) != 0) throw ErrnoError(info.Env(), "flock", errno);
  return info.Env().Undefined();
}

// recordLock(fd, kind, type, start, len) where kind is 0 F_GETLK, 1 F_SETLK,
// 2 F_OFD_GETLK, 3 F_OFD_SETLK and type 0 read, 1 write, 2 unlock (the port's
// values); whence is always SEEK_SET (the caller resolves it). Returns, for
// the GETLK kinds, [type, start, len, pid] of a conflicting lock or null.
Napi::Value RecordLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0);
  int kind = IntArg(info, 1);
  int type = IntArg(info, 2);
  bool lossless = false;
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = (short)(type == 0 ? F_RDLCK : type == 1 ? F_WRLCK : F_UNLCK);
  fl.l_whence = SEEK_SET;
  fl.l_start = (off_t)info[3].As<Napi::BigInt>().Int64Value(&lossless);
  fl.l_len = (off_t)info[4].As<Napi::BigInt>().Int64Value(&lossless);
  int cmd;
  switch (kind) {
    case 0: cmd = F_GETLK; break;
    case 1: cmd = F_SETLK; break;
#if defined(F_OFD_GETLK)
    case 2: cmd = F_OFD_GETLK; break;
    case 3: cmd = F_OFD_SETLK; break;
#endif
    default: throw ErrnoError(env, "fcntl", EINVAL);
  }
  if (fcntl(fd, cmd, &fl) != 0) throw ErrnoError(env, "fcntl", errno);
  if (kind == 1 || kind == 3) return env.Undefined();
  if (fl.l_type == F_UNLCK) return env.Null();
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, Napi::Number::New(env, fl.l_type == F_RDLCK ? 0 : 1));
  out.Set(1u, Napi::BigInt::New(env, (int64_t)fl.l_start));
  out.Set(2u, Napi::BigInt::New(env, (int64_t)fl.l_len));
  out.Set(3u, Napi::Number::New(env, fl.l_pid));
  return out;
}


// ---- I/O that never waits, at the host's offset ----

// Data of a Uint8Array argument.
Napi::Uint8Array BufArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "expected a Uint8Array");
  return info[i].As<Napi::Uint8Array>();
}

// Whether `fd` is ready for `events` now (poll with no timeout).
bool ReadyNow(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  int r;
  do r = poll(&p, 1, 0); while (r < 0 && errno == EINTR);
  return r > 0;
}

// One read or write of a stream that fails with EAGAIN instead of waiting,
// whatever O_NONBLOCK says: the description's status flags are shared with
// other processes and stay the guest's. Linux's RWF_NOWAIT does exactly
// that for pipes; elsewhere (or where the file refuses it, as a FIFO does)
// a non-blocking description is used as it is, and a blocking one is asked
// for readiness first, a write then cut to PIPE_BUF, which always fits in a
// pipe that is not full (unless another writer fills it in between: then
// the host write waits).
ssize_t NoWaitIo(int fd, void* data, size_t len, bool write) {
  struct iovec iov = {data, len};
  ssize_t r;
#if defined(__linux__) && defined(RWF_NOWAIT)
  do r = write ? pwritev2(fd, &iov, 1, -1, RWF_NOWAIT) : preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
  while (r < 0 && errno == EINTR);
  if (r >= 0 || errno != EOPNOTSUPP) return r;
#endif
  // A non-blocking description answers for itself (a FIFO without writers reads 0).
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && (fl & O_NONBLOCK)) {
    do r = write ? writev(fd, &iov, 1) : readv(fd, &iov, 1);
    while (r < 0 && errno == EINTR);
    return r;
  }
  if (!ReadyNow(fd, write ? POLLOUT : POLLIN)) {
    errno = EAGAIN;
    return -1;
  }
  if (write && len > PIPE_BUF) iov.iov_len = PIPE_BUF;
  do r = write ? writev(fd, &iov, 1) : readv(fd, &iov, 1);
  while (r < 0 && errno == EINTR);
  return r;
}

// readNoWait(fd, buf) -> bytes read (0 at end of file); EAGAIN when nothing is there.
Napi::Value ReadNoWait(const Napi::CallbackInfo& info) {
  Napi::Uint8Array buf = BufArg(info, 1);
  ssize_t r = NoWaitIo(IntArg(info, 0), buf.Data(), buf.ByteLength(), false);
  if (r < 0) throw ErrnoError(info.Env(), "read", errno);
  return Napi::Number::New(info.Env(), (double)r);
}

// writeNoWait(fd, buf) -> bytes written; EAGAIN when nothing fits now. A
// write of at most PIPE_BUF to a pipe is all or nothing, as the host keeps it.
Napi::Value WriteNoWait(const Napi::CallbackInfo& info) {
  Napi::Uint8Array buf = BufArg(info, 1);
  ssize_t r = NoWaitIo(IntArg(info, 0), buf.Data(), buf.ByteLength(), true);
  if (r < 0) throw ErrnoError(info.Env(), "write", errno);
  return Napi::Number::New(info.Env(), (double)r);
}

// pipeSize(fd, size): F_GETPIPE_SZ when size is 0, else F_SETPIPE_SZ; -> the capacity.
// ENOSYS where the host cannot resize pipes.
Napi::Value PipeSize(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0);
  int size = IntArg(info, 1);
#if defined(F_GETPIPE_SZ)
  int r = size == 0 ? fcntl(fd, F_GETPIPE_SZ) : fcntl(fd, F_SETPIPE_SZ, size);
  if (r < 0) throw ErrnoError(info.Env(), "fcntl", errno);
  return Napi::Number::New(info.Env(), r);
#else
  (void)fd;
  (void)size;
  throw ErrnoError(info.Env(), "fcntl", ENOSYS);
#endif
}

// ---- processes ----

Napi::Value Kill(const Napi::CallbackInfo& info) {
  if (kill((pid_t)IntArg(info, 0), IntArg(info, 1)) != 0) throw ErrnoError(info.Env(), "kill", errno);
  return info.Env().Undefined();
}

Napi::Value Getpgid(const Napi::CallbackInfo& info) {
  pid_t r = getpgid((pid_t)IntArg(info, 0));
  if (r < 0) throw ErrnoError(info.Env(), "getpgid", errno);
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Setpgid(const Napi::CallbackInfo& info) {
  if (setpgid((pid_t)IntArg(info, 0), (pid_t)IntArg(info, 1)) != 0) throw ErrnoError(info.Env(), "setpgid", errno);
  return info.Env().Undefined();
}

Napi::Value Getsid(const Napi::CallbackInfo& info) {
  pid_t r = getsid((pid_t)IntArg(info, 0));
  if (r < 0) throw ErrnoError(info.Env(), "getsid", errno);
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Setsid(const Napi::CallbackInfo& info) {
  pid_t r = setsid();
  if (r < 0) throw ErrnoError(info.Env(), "setsid", errno);
  return Napi::Number::New(info.Env(), r);
}

// getppid(): live (Node's process.ppid is read once, before any reparenting).
Napi::Value Getppid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), getppid());
}

// processCtl(op, arg): this process's prctl settings that act on the host's process tree.
// op 0: PR_SET_PDEATHSIG (arg: the host's signal number, 0 clears);
// op 1: PR_SET_CHILD_SUBREAPER (arg 0 or 1). ENOSYS where the host has neither.
Napi::Value ProcessCtl(const Napi::CallbackInfo& info) {
  int op = IntArg(info, 0);
  int arg = IntArg(info, 1);
#if defined(__linux__)
  int r = op == 0 ? prctl(PR_SET_PDEATHSIG, (unsigned long)arg, 0, 0, 0) : prctl(PR_SET_CHILD_SUBREAPER, (unsigned long)arg, 0, 0, 0);
  if (r != 0) throw ErrnoError(info.Env(), "prctl", errno);
#else
  (void)op;
  (void)arg;
  throw ErrnoError(info.Env(), "prctl", ENOSYS);
#endif
  return info.Env().Undefined();
}

// reapChild(pid) -> null while it runs, else [status, utimeUs, stimeUs, maxrssKb]: wait4 with
// WNOHANG for a host child this process did not start (an orphan reparented to a subreaper).
Napi::Value ReapChild(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  pid_t r = wait4((pid_t)IntArg(info, 0), &status, WNOHANG, &ru);
  if (r < 0) throw ErrnoError(env, "wait4", errno);
  if (r == 0) return env.Null();
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, Napi::Number::New(env, status));
  out.Set(1u, Napi::Number::New(env, (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec));
  out.Set(2u, Napi::Number::New(env, (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec));
  out.Set(3u, Napi::Number::New(env, (double)ru.ru_maxrss));
  return out;
}

// ---- a control channel between elfuse processes, with descriptors passed along ----

// socketpair() -> [a, b]: a connected AF_UNIX stream pair, close-on-exec.
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  int sv[2];
#if defined(SOCK_CLOEXEC)
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw ErrnoError(info.Env(), "socketpair", errno);
#else
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) throw ErrnoError(info.Env(), "socketpair", errno);
  fcntl(sv[0], F_SETFD, FD_CLOEXEC);
  fcntl(sv[1], F_SETFD, FD_CLOEXEC);
#endif
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), sv[0]));
  out.Set(1u, Napi::Number::New(info.Env(), sv[1]));
  return out;
}

// sendFds(sock, bytes, fds[]) -> bytes sent: one sendmsg with SCM_RIGHTS.
Napi::Value SendFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = IntArg(info, 0);
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  Napi::Array list = info[2].As<Napi::Array>();
  std::vector<int> fds(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) fds[i] = list.Get(i).As<Napi::Number>().Int32Value();
  struct iovec iov = {data.Data(), data.ByteLength()};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * (fds.empty() ? 1 : fds.size())));
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do {
    n = sendmsg(sock, &msg, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw ErrnoError(env, "sendmsg", errno);
  return Napi::Number::New(env, (double)n);
}

// recvFds(sock, buf) -> [n, fds[]]: one recvmsg; received descriptors are close-on-exec.
Napi::Value RecvFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = IntArg(info, 0);
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  struct iovec iov = {data.Data(), data.ByteLength()};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * 253));
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  int flags = 0;
#if defined(MSG_CMSG_CLOEXEC)
  flags |= MSG_CMSG_CLOEXEC;
#endif
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, flags);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw ErrnoError(env, "recvmsg", errno);
  Napi::Array fds = Napi::Array::New(env);
  uint32_t k = 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int* p = (int*)CMSG_DATA(c);
    for (size_t i = 0; i < count; i++) {
#if !defined(MSG_CMSG_CLOEXEC)
      fcntl(p[i], F_SETFD, FD_CLOEXEC);
#endif
      fds.Set(k++, Napi::Number::New(env, p[i]));
    }
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, (double)n));
  out.Set(1u, fds);
  return out;
}

// setIgnored(signo, ignored): SIG_IGN or SIG_DFL for a signal Node does not watch
// (the terminal's job-control signals: a background elfuse must see what its guest sees).
Napi::Value SetIgnored(const Napi::CallbackInfo& info) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = info[1].ToBoolean().Value() ? SIG_IGN : SIG_DFL;
  sigemptyset(&sa.sa_mask);
  if (sigaction(IntArg(info, 0), &sa, nullptr) != 0) throw ErrnoError(info.Env(), "sigaction", errno);
  return info.Env().Undefined();
}

// isOpen(fd): whether fd names an open file description in this process.
Napi::Value IsOpen(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), fcntl(IntArg(info, 0), F_GETFD) >= 0);
}

// getcwd() -> bytes: elfuse's own working directory, undecoded.
Napi::Value Getcwd(const Napi::CallbackInfo& info) {
  std::vector<char> buf(PATH_MAX);
  while (getcwd(buf.data(), buf.size()) == nullptr) {
    if (errno != ERANGE) throw ErrnoError(info.Env(), "getcwd", errno);
    buf.resize(buf.size() * 2);
  }
  return Bytes(info.Env(), buf.data(), strlen(buf.data()));
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  if (close(IntArg(info, 0)) != 0 && errno != EINTR) throw ErrnoError(info.Env(), "close", errno);
  return info.Env().Undefined();
}

Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  auto set = [&](const char* name, long v) { c.Set(name, Napi::Number::New(env, (double)v)); };
  set("O_RDONLY", O_RDONLY);
  set("O_WRONLY", O_WRONLY);
  set("O_RDWR", O_RDWR);
  set("O_CREAT", O_CREAT);
  set("O_EXCL", O_EXCL);
  set("O_TRUNC", O_TRUNC);
  set("O_APPEND", O_APPEND);
  set("O_NONBLOCK", O_NONBLOCK);
  set("O_NOCTTY", O_NOCTTY);
  set("O_DIRECTORY", O_DIRECTORY);
  set("O_NOFOLLOW", O_NOFOLLOW);
  set("O_CLOEXEC", O_CLOEXEC);
  set("O_SYNC", O_SYNC);
  set("O_DSYNC", O_DSYNC);
#ifdef O_DIRECT
  set("O_DIRECT", O_DIRECT);
#else
  set("O_DIRECT", 0);
#endif
#ifdef O_PATH
  set("O_PATH", O_PATH);
#else
  set("O_PATH", 0);
#endif
#ifdef O_SYMLINK
  set("O_SYMLINK", O_SYMLINK);
#else
  set("O_SYMLINK", 0);
#endif
  set("SEEK_SET", SEEK_SET);
  set("SEEK_CUR", SEEK_CUR);
  set("SEEK_END", SEEK_END);
#ifdef SEEK_DATA
  set("SEEK_DATA", SEEK_DATA);
  set("SEEK_HOLE", SEEK_HOLE);
#else
  set("SEEK_DATA", -1);
  set("SEEK_HOLE", -1);
#endif
  set("AT_FDCWD", AT_FDCWD);
  set("AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW);
  set("AT_REMOVEDIR", AT_REMOVEDIR);
#ifdef AT_EMPTY_PATH
  set("AT_EMPTY_PATH", AT_EMPTY_PATH);
#else
  set("AT_EMPTY_PATH", 0);
#endif
  return c;
}

}  // namespace

void InitShm(Napi::Env env, Napi::Object exports);  // shm.cc
void InitSockets(Napi::Env env, Napi::Object exports);  // socket.cc
void InitNotify(Napi::Env env, Napi::Object exports);   // notify.cc
void InitNetif(Napi::Env env, Napi::Object exports);    // netif.cc

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitShm(env, exports);
  InitSockets(env, exports);
  InitNotify(env, exports);
  InitNetif(env, exports);
  exports.Set("constants", Constants(env));
  exports.Set("openat", Napi::Function::New(env, OpenAt));
  exports.Set("fstatat", Napi::Function::New(env, FstatAt));
  exports.Set("fstat", Napi::Function::New(env, Fstat));
  exports.Set("readlinkat", Napi::Function::New(env, ReadlinkAt));
  exports.Set("mkdirat", Napi::Function::New(env, MkdirAt));
  exports.Set("mknodat", Napi::Function::New(env, MknodAt));
  exports.Set("unlinkat", Napi::Function::New(env, UnlinkAt));
  exports.Set("renameat", Napi::Function::New(env, RenameAt));
  exports.Set("linkat", Napi::Function::New(env, LinkAt));
  exports.Set("symlinkat", Napi::Function::New(env, SymlinkAt));
  exports.Set("fchmodat", Napi::Function::New(env, FchmodAt));
  exports.Set("fchownat", Napi::Function::New(env, FchownAt));
  exports.Set("utimensat", Napi::Function::New(env, UtimensAt));
  exports.Set("faccessat", Napi::Function::New(env, FaccessAt));
  exports.Set("readdir", Napi::Function::New(env, ReadDir));
  exports.Set("fstatfs", Napi::Function::New(env, Fstatfs));
  exports.Set("getxattr", Napi::Function::New(env, GetXattr));
  exports.Set("listxattr", Napi::Function::New(env, ListXattr));
  exports.Set("setxattr", Napi::Function::New(env, SetXattr));
  exports.Set("removexattr", Napi::Function::New(env, RemoveXattr));
 exports.Set("setNonBlock", Napi::Function::New(env, SetNonBlock));
  exports.Set("getcwd", Napi::Function::New(env, Getcwd));
  exports.Set("lseek", Napi::Function::New(env, Lseek));
  exports.Set("getfl", Napi::Function::New(env, GetFl));
  exports.Set("setfl", Napi::Function::New(env, SetFl));
  exports.Set("pipe2", Napi::Function::New(env, Pipe2));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("recordLock", Napi::Function::New(env, RecordLock));
  exports.Set("kill", Napi::Function::New(env, Kill));
  exports.Set("getpgid", Napi::Function::New(env, Getpgid));
  exports.Set("setpgid", Napi::Function::New(env, Setpgid));
  exports.Set("getsid", Napi::Function::New(env, Getsid));
  exports.Set("setsid", Napi::Function::New(env, Setsid));
  exports.Set("getppid", Napi::Function::New(env, Getppid));
  exports.Set("processCtl", Napi::Function::New(env, ProcessCtl));
  exports.Set("reapChild", Napi::Function::New(env, ReapChild));
  exports.Set("socketpair", Napi::Function::New(env, SocketPair));
  exports.Set("sendFds", Napi::Function::New(env, SendFds));
  exports.Set("recvFds", Napi::Function::New(env, RecvFds));
  exports.Set("isOpen", Napi::Function::New(env, IsOpen));
  exports.Set("setIgnored", Napi::Function::New(env, SetIgnored));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("readNoWait", Napi::Function::New(env, ReadNoWait));
  exports.Set("writeNoWait", Napi::Function::New(env, WriteNoWait));
  exports.Set("pipeSize", Napi::Function::New(env, PipeSize));
  exports.Set("openatWait", Napi::Function::New(env, OpenAtWait));
  return exports;
}

NODE_API_MODULE(elfuse_posix, Init)
