// elfuse shared memory: guest RAM as host memory the addon owns, and host
// shared objects (a memfd, a mapped file, a SysV segment) mapped over a page
// range of it, for the interpreter's MemoryPort (src/adapters/host-node/shm.ts).
//
// Guest RAM is one anonymous mapping handed to JavaScript as an external
// ArrayBuffer, so every view of it (the CPU's, the kernel's) keeps working
// while a range inside is replaced with MAP_FIXED by a shared mapping, and
// later replaced back by fresh private zeroed memory. This is the
// interpreter's hv_vm_map: a range of guest-physical memory backed by a host
// object other processes map too.
//
// Errors are thrown as JavaScript Errors carrying the host errno in `errno`.

#include <napi.h>
#include <v8.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include <memory>
#include <string>

namespace {

Napi::Error ShmErrno(Napi::Env env, const char* op, int err) {
  Napi::Error e = Napi::Error::New(env, op);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, op));
  return e;
}

double NumArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "expected a number argument");
  return info[i].As<Napi::Number>().DoubleValue();
}

// The host address of [offset, offset+size) of a RAM buffer made by ramReserve, checked.
uint8_t* RangeArg(const Napi::CallbackInfo& info, double offset, double size) {
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) throw Napi::TypeError::New(info.Env(), "expected the RAM ArrayBuffer");
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  long page = sysconf(_SC_PAGESIZE);
  if (offset < 0 || size <= 0 || offset + size > (double)ab.ByteLength() || (uint64_t)offset % page || (uint64_t)size % page) {
    throw Napi::RangeError::New(info.Env(), "range outside the RAM buffer or not page-aligned");
  }
  return static_cast<uint8_t*>(ab.Data()) + (uint64_t)offset;
}

// Fresh private zeroed memory at addr (reserved, committed as touched).
bool Anonymous(void* addr, size_t size) {
  void* p = mmap(addr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED
#ifdef MAP_NORESERVE
                     | MAP_NORESERVE
#endif
                 , -1, 0);
  return p == addr;
}

// ramReserve(size) -> ArrayBuffer: guest RAM, unmapped when the buffer is collected.
//
// The buffer is made through V8 with an empty deleter, so V8 does not count
// the reservation (gigabytes, nearly all of it never touched) as external
// memory: counted, it made every process start with a full mark-compact for
// "external memory pressure". The mapping is released instead by a finalizer
// on the ArrayBuffer object, which runs once no view of it is left.
Napi::Value RamReserve(const Napi::CallbackInfo& info) {
  size_t size = (size_t)NumArg(info, 0);
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS
#ifdef MAP_NORESERVE
                     | MAP_NORESERVE
#endif
                 , -1, 0);
  if (p == MAP_FAILED) throw ShmErrno(info.Env(), "mmap", errno);
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(p, size, v8::BackingStore::EmptyDeleter, nullptr);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  // Node-API's values are V8 handles (node's js_native_api_v8.h does this same cast).
  napi_value value = reinterpret_cast<napi_value>(*buffer);
  napi_status st = napi_add_finalizer(info.Env(), value, p, [](napi_env, void* data, void* hint) {
    munmap(data, (size_t)(uintptr_t)hint);
  }, (void*)(uintptr_t)size, nullptr);
  if (st != napi_ok) {
    munmap(p, size);
    throw Napi::Error::New(info.Env(), "ramReserve: cannot attach the finalizer");
  }
  return Napi::Value(info.Env(), value);
}

// ramDiscard(ram): the machine is gone; give the touched pages back now rather
// than when the buffer is collected (V8 does not see this memory, so nothing
// hurries that collection). The mapping stays, reading as zeros, so a view
// still held somewhere cannot fault.
Napi::Value RamDiscard(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) throw Napi::TypeError::New(info.Env(), "expected the RAM ArrayBuffer");
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  if (ab.ByteLength() > 0 && madvise(ab.Data(), ab.ByteLength(), MADV_DONTNEED) != 0) throw ShmErrno(info.Env(), "madvise", errno);
  return info.Env().Undefined();
}

// mapFd(ram, offset, size, fd, fileOffset, shared): the file's bytes at
// [fileOffset, +size) over the range, MAP_SHARED (writes reach the object) or
// MAP_PRIVATE (a descriptor not open for writing: reads still see the file).
Napi::Value MapFd(const Napi::CallbackInfo& info) {
  double offset = NumArg(info, 1), size = NumArg(info, 2);
  uint8_t* at = RangeArg(info, offset, size);
  int fd = (int)NumArg(info, 3);
  off_t fileOffset = (off_t)NumArg(info, 4);
  bool shared = info.Length() > 5 && info[5].ToBoolean().Value();
  void* p = mmap(at, (size_t)size, PROT_READ | PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED, fd, fileOffset);
  if (p == MAP_FAILED) {
    int err = errno;
    Anonymous(at, (size_t)size);  // a failed MAP_FIXED may have left a hole
    throw ShmErrno(info.Env(), "mmap", err);
  }
  return info.Env().Undefined();
}

// shmAttach(ram, offset, size, shmid, readonly): the SysV segment over the range.
Napi::Value ShmAttach(const Napi::CallbackInfo& info) {
  double offset = NumArg(info, 1), size = NumArg(info, 2);
  uint8_t* at = RangeArg(info, offset, size);
  int id = (int)NumArg(info, 3);
  bool ro = info.Length() > 4 && info[4].ToBoolean().Value();
  int flags = ro ? SHM_RDONLY : 0;
#ifdef SHM_REMAP
  flags |= SHM_REMAP;
#else
  munmap(at, (size_t)size);
#endif
  void* p = shmat(id, at, flags);
  if (p == (void*)-1) {
    int err = errno;
    Anonymous(at, (size_t)size);
    throw ShmErrno(info.Env(), "shmat", err);
  }
#ifdef MADV_DONTFORK
  // The host's own fork before it execs a program (a fork child's elfuse) must not attach it too:
  // that would count an attach, and its exec a detach, the guest never made.
  madvise(at, (size_t)size, MADV_DONTFORK);
#endif
  return info.Env().Undefined();
}

// unmapAt(ram, offset, size, sysv): fresh private memory over the range again
// (after shmdt for a SysV segment, so the host counts the detach).
Napi::Value UnmapAt(const Napi::CallbackInfo& info) {
  double offset = NumArg(info, 1), size = NumArg(info, 2);
  uint8_t* at = RangeArg(info, offset, size);
  bool sysv = info.Length() > 3 && info[3].ToBoolean().Value();
  if (sysv && shmdt(at) != 0) throw ShmErrno(info.Env(), "shmdt", errno);
  if (!Anonymous(at, (size_t)size)) throw ShmErrno(info.Env(), "mmap", errno);
  return info.Env().Undefined();
}

// memfdCreate(size) -> fd: an anonymous shared object of `size` bytes, close-on-exec.
Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  off_t size = (off_t)NumArg(info, 0);
  int fd = -1;
#if defined(__linux__) && defined(SYS_memfd_create)
  fd = (int)syscall(SYS_memfd_create, "elfuse-shmem", 1 /* MFD_CLOEXEC */);
#else
  char name[64];
  for (int i = 0; i < 100 && fd < 0; i++) {
    snprintf(name, sizeof name, "/elfuse.%d.%d", (int)getpid(), i);
    fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) shm_unlink(name);
    else if (errno != EEXIST) break;
  }
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
  if (fd < 0) throw ShmErrno(info.Env(), "memfd_create", errno);
  if (ftruncate(fd, size) != 0) {
    int err = errno;
    close(fd);
    throw ShmErrno(info.Env(), "ftruncate", err);
  }
  return Napi::Number::New(info.Env(), fd);
}

// shmget(key, size, flags) -> id; flags are IPC_CREAT/IPC_EXCL/mode in Linux values.
Napi::Value ShmGet(const Napi::CallbackInfo& info) {
  key_t key = (key_t)(int32_t)NumArg(info, 0);
  size_t size = (size_t)NumArg(info, 1);
  int lflags = (int)NumArg(info, 2);
  int flags = (lflags & 0777) | ((lflags & 01000) ? IPC_CREAT : 0) | ((lflags & 02000) ? IPC_EXCL : 0);
  int id = shmget(key, size, flags);
  if (id < 0) throw ShmErrno(info.Env(), "shmget", errno);
  return Napi::Number::New(info.Env(), id);
}

// shmStat(id) -> [key, uid, gid, cuid, cgid, mode, segsz, atime, dtime, ctime, cpid, lpid, nattch, seq]
Napi::Value ShmStat(const Napi::CallbackInfo& info) {
  int id = (int)NumArg(info, 0);
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) != 0) throw ShmErrno(info.Env(), "shmctl", errno);
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, 14);
#if defined(__linux__)
  double key = (double)ds.shm_perm.__key;
  double seq = (double)ds.shm_perm.__seq;
#else
  double key = (double)ds.shm_perm._key;
  double seq = (double)ds.shm_perm._seq;
#endif
  double vals[14] = {key,
                     (double)ds.shm_perm.uid,
                     (double)ds.shm_perm.gid,
                     (double)ds.shm_perm.cuid,
                     (double)ds.shm_perm.cgid,
                     (double)ds.shm_perm.mode,
                     (double)ds.shm_segsz,
                     (double)ds.shm_atime,
                     (double)ds.shm_dtime,
                     (double)ds.shm_ctime,
                     (double)ds.shm_cpid,
                     (double)ds.shm_lpid,
                     (double)ds.shm_nattch,
                     seq};
  for (uint32_t i = 0; i < 14; i++) out.Set(i, Napi::Number::New(env, vals[i]));
  return out;
}

// shmInfo(which) -> bigints: IPC_INFO (0): [maxIndex, shmmax, shmmin, shmmni, shmseg, shmall];
// SHM_INFO (1): [maxIndex, used_ids, shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes].
Napi::Value ShmInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int which = (int)NumArg(info, 0);
  Napi::Array out = Napi::Array::New(env);
#if defined(__linux__)
  if (which == 0) {
    struct shminfo si;
    int r = shmctl(0, IPC_INFO, reinterpret_cast<struct shmid_ds*>(&si));
    if (r < 0) throw ShmErrno(env, "shmctl", errno);
    uint64_t v[6] = {(uint64_t)r, si.shmmax, si.shmmin, si.shmmni, si.shmseg, si.shmall};
    for (uint32_t i = 0; i < 6; i++) out.Set(i, Napi::BigInt::New(env, v[i]));
  } else {
    struct shm_info si;
    int r = shmctl(0, SHM_INFO, reinterpret_cast<struct shmid_ds*>(&si));
    if (r < 0) throw ShmErrno(env, "shmctl", errno);
    uint64_t v[7] = {(uint64_t)r, (uint64_t)si.used_ids, si.shm_tot, si.shm_rss, si.shm_swp, si.swap_attempts, si.swap_successes};
    for (uint32_t i = 0; i < 7; i++) out.Set(i, Napi::BigInt::New(env, v[i]));
  }
  return out;
#else
  (void)which;
  throw ShmErrno(env, "shmctl", EINVAL);
#endif
}

// shmStatIndex(index, any) -> id: SHM_STAT (SHM_STAT_ANY) of the index-th slot; shmStat(id) then reads it.
Napi::Value ShmStatIndex(const Napi::CallbackInfo& info) {
  int index = (int)NumArg(info, 0);
  bool any = info.Length() > 1 && info[1].ToBoolean().Value();
#if defined(__linux__)
  struct shmid_ds ds;
#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif
  int id = shmctl(index, any ? SHM_STAT_ANY : SHM_STAT, &ds);
  if (id < 0) throw ShmErrno(info.Env(), "shmctl", errno);
  return Napi::Number::New(info.Env(), id);
#else
  (void)index;
  (void)any;
  throw ShmErrno(info.Env(), "shmctl", EINVAL);
#endif
}

// shmSet(id, uid, gid, mode): IPC_SET.
Napi::Value ShmSet(const Napi::CallbackInfo& info) {
  int id = (int)NumArg(info, 0);
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) != 0) throw ShmErrno(info.Env(), "shmctl", errno);
  ds.shm_perm.uid = (uid_t)NumArg(info, 1);
  ds.shm_perm.gid = (gid_t)NumArg(info, 2);
  ds.shm_perm.mode = (ds.shm_perm.mode & ~0777) | ((int)NumArg(info, 3) & 0777);
  if (shmctl(id, IPC_SET, &ds) != 0) throw ShmErrno(info.Env(), "shmctl", errno);
  return info.Env().Undefined();
}

// shmRmid(id): IPC_RMID (destroyed once the last attach goes).
Napi::Value ShmRmid(const Napi::CallbackInfo& info) {
  int id = (int)NumArg(info, 0);
  if (shmctl(id, IPC_RMID, nullptr) != 0) throw ShmErrno(info.Env(), "shmctl", errno);
  return info.Env().Undefined();
}

}  // namespace

void InitShm(Napi::Env env, Napi::Object exports) {
  exports.Set("ramReserve", Napi::Function::New(env, RamReserve));
  exports.Set("ramDiscard", Napi::Function::New(env, RamDiscard));
  exports.Set("mapFd", Napi::Function::New(env, MapFd));
  exports.Set("shmAttach", Napi::Function::New(env, ShmAttach));
  exports.Set("unmapAt", Napi::Function::New(env, UnmapAt));
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate));
  exports.Set("shmGet", Napi::Function::New(env, ShmGet));
  exports.Set("shmStat", Napi::Function::New(env, ShmStat));
  exports.Set("shmSet", Napi::Function::New(env, ShmSet));
  exports.Set("shmInfo", Napi::Function::New(env, ShmInfo));
  exports.Set("shmStatIndex", Napi::Function::New(env, ShmStatIndex));
  exports.Set("shmRmid", Napi::Function::New(env, ShmRmid));
}
