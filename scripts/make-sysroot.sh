#!/usr/bin/env bash
# make-sysroot.sh: builds a Debian bookworm arm64 sysroot for elfuse --sysroot
# (and qemu-aarch64 -L) from the Debian archive, without installing anything:
# the named packages and everything they depend on (Depends and Pre-Depends,
# no Recommends) are resolved by apt for arm64 against an empty package
# database, downloaded with apt-get download into .cache/debs and unpacked
# as dpkg -x does (dpkg-deb's tar stream, so /usr-merge links stay) into
#   .cache/sysroot/bookworm-arm64/     (or the directory given with -o)
# laid out as a merged-/usr system (/bin, /sbin and /lib are links into
# /usr), as bookworm installs are. No maintainer script runs: there is no
# ld.so.cache (the dynamic linker searches its default directories) and no
# alternatives links.
#
#   scripts/make-sysroot.sh [-o DIR] [PACKAGE...]
#
# Default packages: the ones the tests run (see `defaults` below); named
# packages replace them. Idempotent: a package whose version is unpacked
# already is skipped; apt-get update runs only when apt does not know the
# arm64 packages. Needs a Debian or Ubuntu host with Debian's bookworm lists
# (this is what .ci/run runs on), and root or sudo for dpkg --add-architecture.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
debs="$root/.cache/debs"
out="$root/.cache/sysroot/bookworm-arm64"
defaults=(
  libc6 dash coreutils bash grep sed gawk findutils diffutils tar gzip xz-utils
  python3.11-minimal libpython3.11-minimal libpython3.11-stdlib
  libpython3.11-testsuite
  lua5.4 sqlite3 jq perl-base musl tzdata
)

if [[ "${1:-}" == "-o" ]]; then
  [[ $# -ge 2 ]] || { echo "make-sysroot: -o needs a directory" >&2; exit 2; }
  out="$(realpath -m "$2")"
  shift 2
fi
if [[ $# -gt 0 ]]; then packages=("$@"); else packages=("${defaults[@]}"); fi

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

ensure_arm64_lists() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "make-sysroot: dpkg --add-architecture arm64"
    as_root dpkg --add-architecture arm64
  fi
  echo "make-sysroot: apt-get update"
  as_root apt-get update -qq
}

# "name arch version" for every package of the closure, from apt's own resolver
# run for an arm64 system that has nothing installed.
resolve() {
  apt-get -s -qq \
    -o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
    -o Dir::State::status=/dev/null -o Debug::NoLocking=1 \
    install --no-install-recommends "${packages[@]}" 2>&1 |
    sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*\[\(arm64\|all\)\]).*$/\1 \3 \2/p'
}

closure="$(resolve || true)"
if [[ -z "$closure" ]]; then
  ensure_arm64_lists
  closure="$(resolve)" || { echo "make-sysroot: apt cannot resolve: ${packages[*]}" >&2; resolve >&2 || true; exit 1; }
  [[ -n "$closure" ]] || { echo "make-sysroot: apt resolved nothing for: ${packages[*]}" >&2; exit 1; }
fi

mkdir -p "$debs" "$out/usr/bin" "$out/usr/sbin" "$out/usr/lib" "$out/.elfuse-sysroot"
for d in bin sbin lib; do
  [[ -e "$out/$d" || -L "$out/$d" ]] || ln -s "usr/$d" "$out/$d"
done

download() {
  # as root, apt drops to the _apt user, which cannot write here; stay root
  (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "$1")
}

count=0
fetched=0
while read -r name arch version; do
  count=$((count + 1))
  stamp="$out/.elfuse-sysroot/$name"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then continue; fi
  # apt-get download writes the epoch's colon as %3a
  file_version="${version/:/%3a}"
  deb="$debs/${name}_${file_version}_${arch}.deb"
  if [[ ! -f "$deb" ]]; then
    echo "make-sysroot: apt-get download $name ($version, $arch)"
    spec="$name=$version"
    [[ "$arch" == all ]] || spec="$name:$arch=$version"
    if ! download "$spec"; then
      # lists older than the mirror name a version it no longer has
      ensure_arm64_lists
      download "$spec"
    fi
  fi
  # dpkg -x, but keeping the merged-/usr links: tar follows them instead of replacing them by directories
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$out" --keep-directory-symlink --no-same-owner
  echo "$version" >"$stamp"
  fetched=$((fetched + 1))
done <<<"$closure"

# The links Debian's packages make in maintainer scripts or through
# alternatives, which dpkg -x does not run: python3, awk.
[[ -e "$out/usr/bin/python3" || ! -e "$out/usr/bin/python3.11" ]] || ln -s python3.11 "$out/usr/bin/python3"
[[ -e "$out/usr/bin/awk" || ! -e "$out/usr/bin/gawk" ]] || ln -s gawk "$out/usr/bin/awk"
[[ -e "$out/usr/bin/lua" || ! -e "$out/usr/bin/lua5.4" ]] || ln -s lua5.4 "$out/usr/bin/lua"

# Debian's python3.11 postinst byte-compiles the standard library (py3compile);
# dpkg -x runs no maintainer script. Without .pyc files every guest python
# compiles each module it imports from source, at every start (unittest,
# argparse and json: 4x the instructions). Compiled here by the sysroot's
# own interpreter under qemu-aarch64 -L, so the bytecode is what the guest
# would write itself; redone when packages were unpacked.
pyc_stamp="$out/.elfuse-sysroot/byte-compiled"
if [[ -e "$out/usr/bin/python3.11" && ( "$fetched" -gt 0 || ! -f "$pyc_stamp" ) ]]; then
  if command -v qemu-aarch64 >/dev/null; then
    echo "make-sysroot: byte-compiling usr/lib/python3.11 (qemu-aarch64)"
    # A few test modules are invalid on purpose (badsyntax_*): compileall reports them and goes on.
    env -u PYTHONDONTWRITEBYTECODE -u PYTHONPYCACHEPREFIX -u SOURCE_DATE_EPOCH \
      qemu-aarch64 -L "$out" "$out/usr/bin/python3.11" -W ignore -m compileall -qq -j 0 -s "$out" -p / "$out/usr/lib/python3.11" || true
    date -u +%FT%TZ >"$pyc_stamp"
  else
    echo "make-sysroot: qemu-aarch64 missing (apt-get install qemu-user): python's standard library stays uncompiled, so guest pythons start slower"
  fi
fi

echo "make-sysroot: ${out#"$root/"}: $count packages ($fetched unpacked now)"
