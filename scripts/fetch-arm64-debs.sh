#!/usr/bin/env bash
# fetch-arm64-debs.sh: downloads Debian arm64 packages used as real-world
# guests and unpacks them (no install, no dependencies) under .cache/:
#   .cache/debs/<package>_<version>_arm64.deb
#   .cache/arm64/<package>/            (dpkg -x tree)
# Default package: busybox-static. Further package names may be given as
# arguments. Idempotent: a package already unpacked is not fetched again, and
# apt-get update runs at most once per invocation, only when needed.
# Needs root (dpkg --add-architecture, apt-get update).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
debs="$root/.cache/debs"
trees="$root/.cache/arm64"
packages=(busybox-static "$@")
mkdir -p "$debs" "$trees"

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

updated=0
ensure_arm64_lists() {
  if [[ "$updated" == 1 ]]; then return 0; fi
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "fetch-arm64-debs: dpkg --add-architecture arm64"
    as_root dpkg --add-architecture arm64
  fi
  echo "fetch-arm64-debs: apt-get update"
  as_root apt-get update -qq
  updated=1
}

download() {
  # as root, apt drops to the _apt user, which cannot write here; stay root
  (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "$1:arm64")
}

fetch() {
  local pkg="$1" tree="$trees/$1" deb
  if [[ -f "$tree/.unpacked" ]]; then
    return 0
  fi
  deb="$(ls "$debs/${pkg}"_*_arm64.deb 2>/dev/null | head -n1 || true)"
  if [[ -z "$deb" ]]; then
    # apt-cache knows arm64 versions only after the arm64 lists were fetched
    if ! apt-cache show "$pkg:arm64" >/dev/null 2>&1; then
      ensure_arm64_lists
    fi
    echo "fetch-arm64-debs: apt-get download $pkg:arm64"
    if ! download "$pkg"; then
      # lists older than the mirror name a version it no longer has: refresh once
      ensure_arm64_lists
      download "$pkg"
    fi
    deb="$(ls "$debs/${pkg}"_*_arm64.deb | head -n1)"
  fi
  rm -rf "$tree"
  mkdir -p "$tree"
  dpkg -x "$deb" "$tree"
  basename "$deb" >"$tree/.unpacked"
}

for pkg in "${packages[@]}"; do
  fetch "$pkg"
  echo "fetch-arm64-debs: $pkg -> ${trees#"$root/"}/$pkg ($(cat "$trees/$pkg/.unpacked"))"
done
if [[ -x "$trees/busybox-static/bin/busybox" ]]; then
  echo "busybox: .cache/arm64/busybox-static/bin/busybox"
fi
