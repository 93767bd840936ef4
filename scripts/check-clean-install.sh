#!/usr/bin/env bash
# check-clean-install.sh: runs `bash .ci/run` on a fresh Debian 12 system,
# to prove that .ci/run installs everything it needs (a development machine
# has much installed by hand, which hides a missing install step).
#
#   bash scripts/check-clean-install.sh [--build-only]
#
# 1. Once: debootstrap --variant=minbase bookworm into .cache/clean/base
#    (Debian's required packages and apt; kept for later checks).
# 2. Each check: a copy of it in .cache/clean/run, given what a CI machine of
#    this project has before .ci/run starts, taken from this machine:
#    - Node 20 and npm as the nodesource `nodejs` package installs them (its
#      files and /usr/lib/node_modules, copied, and the shared libraries node
#      needs to start; nothing
#      else of its dependencies, so .ci/run must install python3 and
#      ca-certificates itself), root's and the global npmrc;
#    - the apt sources, resolv.conf and the local CA certificates;
#    - a fresh `git clone` of this repository's HEAD at /work/ci/elfuse
#      (commit first: uncommitted changes are not checked), with ../shared
#      beside it read-only when this repository has one.
# 3. A new mount namespace whose root is that copy (pivot_root, not chroot:
#    in a chroot the kernel refuses to create user namespaces, which the
#    qemu reference needs), with fresh /proc, and /dev and /sys from the
#    host; there `CI=true bash .ci/run` runs with no stdin and a minimal
#    environment. --build-only stops .ci/run after the build
#    (ELFUSE_CI_BUILD_ONLY=1: packages, qemu-binfmt setup, busybox, npm ci,
#    guests, npm run build).
#
# Prints the log's tail, the time taken and .ci/run's status, and exits with
# that status. The whole log: .cache/clean/run.log. Needs root, debootstrap
# (installed when missing) and Debian's mirror.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$repo/.cache/clean"
base="$cache/base"
run="$cache/run"
log="$cache/run.log"
mirror=http://deb.debian.org/debian
build_only=0
case "${1-}" in
  --build-only) build_only=1 ;;
  '') ;;
  *) echo "usage: bash scripts/check-clean-install.sh [--build-only]" >&2; exit 2 ;;
esac
[[ "$(id -u)" == 0 ]] || { echo "check-clean-install: needs root (debootstrap, mounts)" >&2; exit 1; }
mkdir -p "$cache"

if [[ ! -f "$base/.complete" ]]; then
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap </dev/null; }
  rm -rf "$base"
  echo "check-clean-install: debootstrap --variant=minbase bookworm $base"
  debootstrap --variant=minbase bookworm "$base" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
  touch "$base/.complete"
fi

echo "check-clean-install: fresh copy in $run"
rm -rf "$run"
cp -a "$base" "$run"
rm -f "$run/.complete"

# The machine's apt sources (bookworm, -updates, -security), name server and
# /etc/hosts (which a debootstrap leaves out and every installed or container
# Debian has; test/kernel/procfs-identity.test.ts relies on it).
cp /etc/resolv.conf "$run/etc/resolv.conf"
cp /etc/hosts "$run/etc/hosts"
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
  cp /etc/apt/sources.list.d/debian.sources "$run/etc/apt/sources.list.d/"
  rm -f "$run/etc/apt/sources.list"
fi
cp -a /etc/apt/apt.conf.d/. "$run/etc/apt/apt.conf.d/"
# Local CA certificates (installed by update-ca-certificates once .ci/run
# installs ca-certificates) and npm's settings, as on the CI machine.
if [[ -d /usr/local/share/ca-certificates ]]; then
  mkdir -p "$run/usr/local/share/ca-certificates"
  cp -a /usr/local/share/ca-certificates/. "$run/usr/local/share/ca-certificates/"
fi
for f in /root/.npmrc /etc/npmrc /usr/etc/npmrc; do
  if [[ -f "$f" ]]; then mkdir -p "$run$(dirname "$f")"; cp -a "$f" "$run$f"; fi
done

# Node 20: the files of this machine's nodejs package, and the libraries node loads.
node_bin="$(command -v node)"
pkg="$(dpkg -S "$(readlink -f "$node_bin")" 2>/dev/null | cut -d: -f1 | head -n1 || true)"
if [[ -n "$pkg" ]]; then
  dpkg -L "$pkg" | while read -r f; do [[ -f "$f" || -L "$f" ]] && echo "${f#/}"; done >"$cache/node-files"
  tar -C / -cf - -T "$cache/node-files" | tar -C "$run" -xf -
  # npm may have been updated since the package was installed: its tree as it is
  if [[ -d /usr/lib/node_modules ]]; then
    rm -rf "$run/usr/lib/node_modules"
    cp -a /usr/lib/node_modules "$run/usr/lib/node_modules"
  fi
else
  # not from a package: the binary and npm next to it
  prefix="$(dirname "$(dirname "$(readlink -f "$node_bin")")")"
  mkdir -p "$run/usr/bin" "$run/usr/lib/node_modules"
  cp -a "$(readlink -f "$node_bin")" "$run/usr/bin/node"
  cp -a "$prefix/lib/node_modules/npm" "$run/usr/lib/node_modules/"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$run/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$run/usr/bin/npx"
fi
libs=()
for lib in $(ldd "$node_bin" | awk '/=>/ {print $3}'); do
  owner="$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | cut -d: -f1 | head -n1 || true)"
  [[ -n "$owner" ]] && libs+=("$owner")
done
mapfile -t libs < <(printf '%s\n' "${libs[@]}" | sort -u)
echo "check-clean-install: node's libraries: ${libs[*]}"
chroot "$run" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  /bin/bash -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" </dev/null && rm -rf /var/lib/apt/lists/*' \
  bash "${libs[@]}" >"$cache/node-libs.log" 2>&1 || { tail -n 20 "$cache/node-libs.log" >&2; exit 1; }
chroot "$run" /usr/bin/node --version

# The repository, as CI clones it, and ../shared beside it.
mkdir -p "$run/work/ci"
git clone -q --no-hardlinks "$repo" "$run/work/ci/elfuse"
echo "check-clean-install: checking $(git -C "$run/work/ci/elfuse" log --oneline -1)"
shared=""
if [[ -d "$repo/../shared" ]]; then
  shared="$(cd "$repo/../shared" && pwd)"
  mkdir -p "$run/work/ci/shared"
fi

start=$(date +%s)
status=0
unshare --mount --fork -- /bin/bash -c '
  set -euo pipefail
  new="$1" shared="$2" build_only="$3"
  mount --make-rprivate /
  mount --bind "$new" "$new"
  mount -t proc proc "$new/proc"
  mount --rbind /dev "$new/dev"
  mount --rbind /sys "$new/sys"
  if [[ -n "$shared" ]]; then
    mount --bind "$shared" "$new/work/ci/shared"
    mount -o remount,bind,ro "$new/work/ci/shared"
  fi
  cd "$new"
  mkdir -p .oldroot
  pivot_root . .oldroot
  cd /
  umount -l /.oldroot
  rmdir /.oldroot
  cd /work/ci/elfuse
  exec /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    CI=true ELFUSE_CI_BUILD_ONLY="$build_only" /bin/bash .ci/run </dev/null
' bash "$run" "$shared" "$build_only" >"$log" 2>&1 || status=$?
seconds=$(($(date +%s) - start))

tail -n 25 "$log"
echo "check-clean-install: .ci/run$([[ $build_only == 1 ]] && echo ' (build only)') exited $status after ${seconds}s in a fresh Debian 12 (log: ${log#"$repo/"})"
exit "$status"
