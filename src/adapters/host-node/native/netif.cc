// elfuse_posix network interfaces: the host's interfaces and addresses as
// getifaddrs(3) lists them, for the guest's NETLINK_ROUTE answers
// (src/adapters/host-node/network.ts, src/domain/kernel/netlink.ts).
//
// Neutral values only: address families as names ('link', 'inet',
// 'inet6'), interface flags by name, the link type as a name; the domain
// turns them into Linux's numbers. Both hosts have getifaddrs: Linux gives
// an AF_PACKET entry per interface (sockaddr_ll), macOS an AF_LINK one
// (sockaddr_dl).

#include <napi.h>

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/if_arp.h>
#include <linux/if_packet.h>
#else
#include <net/if_dl.h>
#include <net/if_types.h>
#endif

namespace {

Napi::Error NetError(Napi::Env env, const char* op, int err) {
  Napi::Error e = Napi::Error::New(env, op);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, op));
  return e;
}

Napi::Value Bytes(Napi::Env env, const void* p, size_t n) {
  Napi::Uint8Array a = Napi::Uint8Array::New(env, n);
  if (n) memcpy(a.Data(), p, n);
  return a;
}

struct Flag {
  unsigned int bit;
  const char* name;
};

const Flag kFlags[] = {
    {IFF_UP, "up"},           {IFF_BROADCAST, "broadcast"},     {IFF_DEBUG, "debug"},
    {IFF_LOOPBACK, "loopback"}, {IFF_POINTOPOINT, "pointopoint"}, {IFF_RUNNING, "running"},
    {IFF_NOARP, "noarp"},     {IFF_PROMISC, "promisc"},         {IFF_ALLMULTI, "allmulti"},
    {IFF_MULTICAST, "multicast"},
#if defined(__linux__)
    {IFF_NOTRAILERS, "notrailers"}, {IFF_MASTER, "master"}, {IFF_SLAVE, "slave"},
    {IFF_PORTSEL, "portsel"},  {IFF_AUTOMEDIA, "automedia"},    {IFF_DYNAMIC, "dynamic"},
    {0x10000, "lower_up"},     {0x20000, "dormant"},            {0x40000, "echo"},
#endif
};

Napi::Value FlagNames(Napi::Env env, unsigned int flags) {
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (const Flag& f : kFlags)
    if (flags & f.bit) out.Set(n++, Napi::String::New(env, f.name));
  return out;
}

// The address bytes of an inet or inet6 sockaddr, or undefined.
Napi::Value InetBytes(Napi::Env env, const struct sockaddr* sa) {
  if (!sa) return env.Undefined();
  if (sa->sa_family == AF_INET) return Bytes(env, &((const struct sockaddr_in*)sa)->sin_addr, 4);
  if (sa->sa_family == AF_INET6) return Bytes(env, &((const struct sockaddr_in6*)sa)->sin6_addr, 16);
  return env.Undefined();
}

// An interface's MTU and transmit queue length (0 where the host has no such request).
void LinkNumbers(const char* name, int* mtu, int* txqlen) {
  *mtu = 0;
  *txqlen = 0;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) return;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, sizeof ifr.ifr_name - 1);
  if (ioctl(s, SIOCGIFMTU, &ifr) == 0) *mtu = ifr.ifr_mtu;
#if defined(SIOCGIFTXQLEN)
  if (ioctl(s, SIOCGIFTXQLEN, &ifr) == 0) *txqlen = ifr.ifr_qlen;
#endif
  close(s);
}

void SetLinkNumbers(Napi::Object e, const char* name) {
  int mtu, txqlen;
  LinkNumbers(name, &mtu, &txqlen);
  e.Set("mtu", mtu);
  e.Set("txqlen", txqlen);
}

// netInterfaces() -> [{family, name, index, flags, ...}] in getifaddrs order:
// 'link' entries carry type, mtu, txqlen, hwaddr, hwbroadcast; 'inet'/'inet6'
// entries addr, netmask, broadcast or peer, scopeId.
Napi::Value NetInterfaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) throw NetError(env, "getifaddrs", errno);
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (struct ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    Napi::Object e = Napi::Object::New(env);
    e.Set("name", Napi::String::New(env, i->ifa_name));
    e.Set("flags", FlagNames(env, i->ifa_flags));
    int fam = i->ifa_addr->sa_family;
#if defined(__linux__)
    if (fam == AF_PACKET) {
      const struct sockaddr_ll* ll = (const struct sockaddr_ll*)i->ifa_addr;
      e.Set("family", "link");
      e.Set("index", ll->sll_ifindex);
      const char* type = ll->sll_hatype == ARPHRD_ETHER ? "ether" : ll->sll_hatype == ARPHRD_LOOPBACK ? "loopback" : "none";
      e.Set("type", type);
      e.Set("hwaddr", Bytes(env, ll->sll_addr, ll->sll_halen));
      if (i->ifa_broadaddr) {
        const struct sockaddr_ll* b = (const struct sockaddr_ll*)i->ifa_broadaddr;
        e.Set("hwbroadcast", Bytes(env, b->sll_addr, b->sll_halen));
      }
      SetLinkNumbers(e, i->ifa_name);
      out.Set(n++, e);
      continue;
    }
#else
    if (fam == AF_LINK) {
      const struct sockaddr_dl* dl = (const struct sockaddr_dl*)i->ifa_addr;
      e.Set("family", "link");
      e.Set("index", dl->sdl_index);
      const char* type = dl->sdl_type == IFT_ETHER ? "ether" : dl->sdl_type == IFT_LOOP ? "loopback" : "none";
      e.Set("type", type);
      e.Set("hwaddr", Bytes(env, LLADDR(dl), dl->sdl_alen));
      if (dl->sdl_type == IFT_ETHER) {
        const unsigned char ff[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        e.Set("hwbroadcast", Bytes(env, ff, 6));
      }
      SetLinkNumbers(e, i->ifa_name);
      out.Set(n++, e);
      continue;
    }
#endif
    if (fam != AF_INET && fam != AF_INET6) continue;
    e.Set("family", fam == AF_INET ? "inet" : "inet6");
    e.Set("index", (double)if_nametoindex(i->ifa_name));
    e.Set("addr", InetBytes(env, i->ifa_addr));
    e.Set("netmask", InetBytes(env, i->ifa_netmask));
    if (i->ifa_broadaddr && (i->ifa_flags & IFF_BROADCAST)) e.Set("broadcast", InetBytes(env, i->ifa_broadaddr));
    if (i->ifa_dstaddr && (i->ifa_flags & IFF_POINTOPOINT)) e.Set("peer", InetBytes(env, i->ifa_dstaddr));
    if (fam == AF_INET6) e.Set("scopeId", ((const struct sockaddr_in6*)i->ifa_addr)->sin6_scope_id);
    out.Set(n++, e);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace

void InitNetif(Napi::Env env, Napi::Object exports) {
  exports.Set("netInterfaces", Napi::Function::New(env, NetInterfaces));
}
