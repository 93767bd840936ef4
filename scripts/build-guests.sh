#!/usr/bin/env bash
# build-guests.sh: builds the guest test programs in guests/src/ into
# guests/bin/ with the aarch64-linux-gnu cross toolchain.
#
# Idempotent: a program is rebuilt only when the hash of its source, its
# build command and the compiler version differs from the one recorded in
# guests/bin/.stamps/ (content, not mtime, because a fresh clone gives every
# file the same checkout time). hello and hello-asm are stripped because they
# are committed for the README's first command.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/guests/src"
out="$root/guests/bin"
stamps="$out/.stamps"
cross="${CROSS_COMPILE:-aarch64-linux-gnu-}"
cflags=(-static -O2 -Wall -Wextra -Werror -std=gnu11)

if ! command -v "${cross}gcc" >/dev/null; then
  echo "build-guests: ${cross}gcc not found (apt-get install gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu)" >&2
  exit 1
fi
mkdir -p "$out" "$stamps"
toolchain="$("${cross}gcc" --version | head -n1)"

# build NAME SOURCE KIND [strip]: KIND is c, pie (a static-PIE C program: ET_DYN
# loaded at a bias, relocating itself), debug / pie-debug (the same at -O0 -g,
# for the debugger tests), thread / thread-lse (-pthread; atomics as LDXR/STXR
# loops, or LSE with -march=armv8.1-a) or asm.
build() {
  local name="$1" source="$2" kind="$3" strip="${4:-}"
  local recipe stamp
  case "$kind" in
    c) recipe="${cross}gcc ${cflags[*]} -o $name $source" ;;
    pie) recipe="${cross}gcc ${cflags[*]:1} -static-pie -o $name $source" ;;
    debug) recipe="${cross}gcc ${cflags[*]} -O0 -g -o $name $source" ;;
    pie-debug) recipe="${cross}gcc ${cflags[*]:1} -O0 -g -static-pie -o $name $source" ;;
    asm) recipe="${cross}as + ${cross}ld -static -n" ;;
    thread) recipe="${cross}gcc ${cflags[*]} -pthread -o $name $source" ;;
    thread-lse) recipe="${cross}gcc ${cflags[*]} -pthread -march=armv8.1-a -o $name $source" ;;
  esac
  stamp="$( { cat "$src/$source"; echo "$recipe|$strip|$toolchain"; } | sha256sum | cut -d' ' -f1)"
  if [[ -x "$out/$name" && -f "$stamps/$name" && "$(cat "$stamps/$name")" == "$stamp" ]]; then
    return 0
  fi
  echo "build-guests: $name"
  local tmp="$out/.$name.tmp"
  case "$kind" in
    c) "${cross}gcc" "${cflags[@]}" -o "$tmp" "$src/$source" ;;
    # Not with -static: "-static -static-pie" links a PIE that crashes on start.
    pie) "${cross}gcc" "${cflags[@]:1}" -static-pie -o "$tmp" "$src/$source" ;;
    debug) "${cross}gcc" "${cflags[@]}" -O0 -g -o "$tmp" "$src/$source" ;;
    thread) "${cross}gcc" "${cflags[@]}" -pthread -o "$tmp" "$src/$source" ;;
    thread-lse) "${cross}gcc" "${cflags[@]}" -pthread -march=armv8.1-a -o "$tmp" "$src/$source" ;;
    pie-debug) "${cross}gcc" "${cflags[@]:1}" -O0 -g -static-pie -o "$tmp" "$src/$source" ;;
    asm)
      "${cross}as" -o "$tmp.o" "$src/$source"
      # -n: no page alignment of sections, keeps the file tiny
      "${cross}ld" -static -n -o "$tmp" "$tmp.o"
      rm -f "$tmp.o"
      ;;
  esac
  if [[ -n "$strip" ]]; then
    "${cross}strip" "$tmp"
  fi
  mv -f "$tmp" "$out/$name"
  echo "$stamp" >"$stamps/$name"
}

build hello-asm hello-asm.S asm strip
build trace-loop trace-loop.S asm
build hello hello.c c strip
build echo-args echo-args.c c
build exit42 exit42.c c
build malloc-strings malloc-strings.c c
build malloc-strings-pie malloc-strings.c pie
build cat-file cat-file.c c
build printf-double printf-double.c c
build fp-modes fp-modes.c c
build fp-estimate fp-estimate.c c
build tight-loop tight-loop.c c
build die-by-signal die-by-signal.c c
build big-stack big-stack.c c
build cpubench cpubench.c c
build fsops fsops.c c
build crypto-ext crypto-ext.c c
build signals signals.c c
build timers timers.c c
build mmap mmap.c c
build identity identity.c c
build procfs procfs.c c
build tty tty.c c
build sysroot-escape sysroot-escape.c c
build closed-stdio closed-stdio.c c
build gdb-target gdb-target.c debug
build gdb-target-pie gdb-target.c pie-debug
build strace-me strace-me.c c
build map-count map-count.c c
build big-write big-write.c c
build waits waits.c c
build evio evio.c c
build inotify inotify.c c
build pty pty.c c
build netif netif.c c
build sockets sockets.c c
build shm shm.c c
build shared-files shared-files.c c
build locks locks.c c
build pipes pipes.c c
build procs procs.c c
build sysmisc sysmisc.c c
build caps caps.c c
build fchmodat2 fchmodat2.c c
build vmaname vmaname.c c
build proclimits proclimits.c c
build smaps smaps.c c
build xattr xattr.c c
build clockloop clockloop.c c
build align align.c c
build wfx wfx.c c
build jit-code jit-code.c c
build rwx-segment rwx-segment.S asm
build threads threads.c thread
build threads-lse threads.c thread-lse
build futex futex.c thread
build robust robust.c thread
build pi pi.c thread
build futex-waitv futex-waitv.c thread
build membarrier membarrier.c thread
build sigio sigio.c thread
build shared-futex shared-futex.c thread
build shared-pending shared-pending.c thread
build pingpong pingpong.c thread
build threads-order threads-order.c thread
build thread-signals thread-signals.c thread
build thread-proc thread-proc.c thread
build thread-exec thread-exec.c thread
