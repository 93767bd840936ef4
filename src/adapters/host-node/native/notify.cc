// elfuse_posix file-change notification: the host half of the guest's
// inotify (src/adapters/host-node/notify.ts, src/domain/kernel/inotify.ts).
//
// On a Linux host a guest inotify instance is a host inotify instance: the
// host kernel keeps the watches, queues the events, pads the names and
// answers reads, FIONREAD and readiness, so the event records the guest
// reads are the host's own (struct inotify_event has the same layout on
// every Linux architecture). Masks are inotify's bits, passed unchanged.
//
// Elsewhere these calls fail with ENOSYS. A macOS host would need the
// records made up: an instance as a pipe elfuse writes struct
// inotify_event records into, fed by kqueue EVFILT_VNODE watches (one
// O_EVTONLY fd per watched file or directory; NOTE_WRITE on a directory
// then a rescan to name what was created, deleted or moved) or by an
// FSEvents stream for recursive, per-name changes.

#include <napi.h>

#include <errno.h>
#include <string>
#if defined(__linux__)
#include <sys/inotify.h>
#endif

namespace {

Napi::Error NotifyError(Napi::Env env, const char* op, int err) {
  Napi::Error e = Napi::Error::New(env, op);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, op));
  return e;
}

int Int(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "expected a number argument");
  return info[i].As<Napi::Number>().Int32Value();
}

// A name as bytes: each character of the JavaScript string is one byte.
std::string Bytes(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), "expected a string argument");
  std::u16string s = info[i].As<Napi::String>().Utf16Value();
  std::string out;
  out.reserve(s.size());
  for (char16_t c : s) out.push_back((char)(c & 0xff));
  // A NUL inside would silently shorten the name the host sees.
  if (out.find('\0') != std::string::npos) throw NotifyError(info.Env(), "name", EINVAL);
  return out;
}

// notifyInit(nonblock) -> host fd, close-on-exec (fork children receive it explicitly).
Napi::Value NotifyInit(const Napi::CallbackInfo& info) {
#if defined(__linux__)
  bool nonblock = info.Length() > 0 && info[0].ToBoolean().Value();
  int fd = inotify_init1(IN_CLOEXEC | (nonblock ? IN_NONBLOCK : 0));
  if (fd < 0) throw NotifyError(info.Env(), "inotify_init1", errno);
  return Napi::Number::New(info.Env(), fd);
#else
  throw NotifyError(info.Env(), "inotify_init1", ENOSYS);
#endif
}

// notifyAddWatch(fd, dirfd, name, mask) -> watch descriptor. The object is
// `name` in the directory `dirfd`, reached through /proc/self/fd so the
// host never walks the guest's path itself; IN_DONT_FOLLOW applies to
// `name` only, as the guest's walk already resolved everything before it.
Napi::Value NotifyAddWatch(const Napi::CallbackInfo& info) {
#if defined(__linux__)
  std::string path = "/proc/self/fd/" + std::to_string(Int(info, 1)) + "/" + Bytes(info, 2);
  uint32_t mask = info[3].As<Napi::Number>().Uint32Value();
  int wd = inotify_add_watch(Int(info, 0), path.c_str(), mask);
  if (wd < 0) throw NotifyError(info.Env(), "inotify_add_watch", errno);
  return Napi::Number::New(info.Env(), wd);
#else
  throw NotifyError(info.Env(), "inotify_add_watch", ENOSYS);
#endif
}

// notifyRmWatch(fd, wd): the host queues IN_IGNORED for it.
Napi::Value NotifyRmWatch(const Napi::CallbackInfo& info) {
#if defined(__linux__)
  if (inotify_rm_watch(Int(info, 0), Int(info, 1)) != 0) throw NotifyError(info.Env(), "inotify_rm_watch", errno);
  return info.Env().Undefined();
#else
  throw NotifyError(info.Env(), "inotify_rm_watch", ENOSYS);
#endif
}

}  // namespace

void InitNotify(Napi::Env env, Napi::Object exports) {
  exports.Set("notifyInit", Napi::Function::New(env, NotifyInit));
  exports.Set("notifyAddWatch", Napi::Function::New(env, NotifyAddWatch));
  exports.Set("notifyRmWatch", Napi::Function::New(env, NotifyRmWatch));
}
