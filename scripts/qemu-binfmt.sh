#!/usr/bin/env bash
# qemu-binfmt.sh: the qemu-aarch64 reference for guests that run other
# programs. qemu-user runs one process; when the guest calls execve on an
# aarch64 file, qemu hands that execve to the host kernel, which runs it only
# when binfmt_misc has an aarch64 entry (else the guest gets ENOEXEC). This
# script provides that entry for reference runs, and a tripwire entry for
# elfuse runs.
#
#   qemu-binfmt.sh check          print the mode ("private" or "system"), or
#                                 say what is missing and exit 1
#   qemu-binfmt.sh setup          make the reference usable; idempotent (see below)
#   qemu-binfmt.sh qemu ARGS...   run `qemu-aarch64 ARGS...` with aarch64
#                                 execs (of it and its children) going to
#                                 qemu-aarch64
#   qemu-binfmt.sh guard LOG CMD...
#                                 run CMD where the host kernel refuses every
#                                 execve of an aarch64 file: it fails with
#                                 status 126 and appends one line to LOG
#
# Modes:
# - private (Linux 6.7 and later, user namespaces allowed: Debian's default):
#   each `qemu` or `guard` run gets a new user and mount namespace with its own
#   binfmt_misc instance, and registers its entry there. Nothing on the machine
#   changes, no root is needed, and the entry is gone when the run ends.
#   A binfmt_misc lookup uses the instance of the nearest user namespace that
#   mounted one, so the private entry also wins over any system-wide one.
# - system (older kernels): `setup`, as root, registers qemu-aarch64 in the
#   machine's binfmt_misc (unless an aarch64 entry for qemu is there already,
#   e.g. from Debian's qemu-user-binfmt) and `qemu` just runs qemu-aarch64.
#   `guard` then has no tripwire: it runs CMD as it is.
# ELFUSE_BINFMT_MODE=private|system picks a mode instead of probing (the
# script's own tests run system mode inside a namespace).
#
# Why the reference entry cannot run elfuse's guests: elfuse implements
# execve inside its own host process (the image is replaced in place, and a
# guest fork starts another elfuse Node process, see ARCHITECTURE.md), so the
# host kernel is never asked to exec an aarch64 file on elfuse's behalf. The
# tests check it rather than trust it: they run elfuse under `guard`, whose
# entry for aarch64 ELF files is a tripwire that fails the exec and logs it,
# and they require the log to stay empty. In private mode elfuse's runs are
# in namespaces where no qemu entry exists at all.
#
# The entry matches ELF64 little-endian (e_ident), e_type ET_EXEC or ET_DYN
# (the mask clears bit 0 of e_type) and e_machine EM_AARCH64 (0xb7). Flags:
# F opens the interpreter when registering (so later mounts and PATH do not
# matter), P passes the original argv[0] on (qemu reads AT_FLAGS), as the
# kernel's own exec would.
set -euo pipefail

# The caller's PATH belongs to the command run (often a directory of aarch64
# busybox links); this script's own tools come from the host's directories.
caller_path="${ELFUSE_BINFMT_CALLER_PATH-${PATH-}}"
unset ELFUSE_BINFMT_CALLER_PATH
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
script="$(readlink -f "${BASH_SOURCE[0]}")"

MAGIC='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
MASK='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
MAGIC_HEX=7f454c460201010000000000000000000200b700
BINFMT=/proc/sys/fs/binfmt_misc

die() {
  echo "qemu-binfmt: $*" >&2
  exit 1
}

qemu_path() {
  command -v qemu-aarch64 || die "qemu-aarch64 missing: apt-get install qemu-user (bash .ci/run installs it)"
}

# register NAME INTERPRETER: adds an entry to the binfmt_misc mounted at $BINFMT
# (the kernel itself decodes the \x escapes of the magic and the mask).
register() {
  printf '%s' ":$1:M::${MAGIC}:${MASK}:$2:FP" >"$BINFMT/register"
}

# New user and mount namespaces; the child dies with unshare (a killed run
# leaves nothing behind) and unshare exits as the child did, signals included.
ns() {
  exec env ELFUSE_BINFMT_CALLER_PATH="$caller_path" unshare --user --map-root-user --mount --fork --kill-child -- "$@"
}

private_works() {
  command -v unshare >/dev/null || return 1
  (ns /bin/sh -c "mount -t binfmt_misc binfmt_misc $BINFMT && test -w $BINFMT/register") >/dev/null 2>&1
}

mode() {
  case "${ELFUSE_BINFMT_MODE:-}" in
    private | system) echo "$ELFUSE_BINFMT_MODE" ;;
    '') if private_works; then echo private; else echo system; fi ;;
    *) die "ELFUSE_BINFMT_MODE must be private or system, not $ELFUSE_BINFMT_MODE" ;;
  esac
}

# A system-wide entry for aarch64 ELF files whose interpreter is qemu's
# (qemu-aarch64, qemu-aarch64-static, or qemu-user-binfmt's
# /usr/libexec/qemu-binfmt/aarch64-binfmt-P).
system_entry() {
  local entry
  [[ -f "$BINFMT/status" ]] || return 1
  for entry in "$BINFMT"/*; do
    [[ "$entry" == */register || "$entry" == */status ]] && continue
    grep -qx enabled "$entry" 2>/dev/null || continue
    grep -qx "magic $MAGIC_HEX" "$entry" || continue
    grep -q '^interpreter .*qemu' "$entry" || continue
    echo "$entry"
    return 0
  done
  return 1
}

system_setup() {
  local entry
  if entry="$(system_entry)"; then
    echo "qemu-binfmt: system mode, using $entry"
    return 0
  fi
  [[ "$(id -u)" == 0 ]] || die "no aarch64 entry in $BINFMT and not root: run this as root, or apt-get install qemu-user-binfmt"
  if [[ ! -f "$BINFMT/status" ]]; then
    mount -t binfmt_misc binfmt_misc "$BINFMT" || die "cannot mount binfmt_misc on $BINFMT"
  fi
  [[ ! -e "$BINFMT/qemu-aarch64" ]] ||
    die "$BINFMT/qemu-aarch64 exists but is disabled or not for aarch64 ELF files: echo -1 > $BINFMT/qemu-aarch64 removes it"
  register qemu-aarch64 "$(qemu_path)"
  echo "qemu-binfmt: system mode, registered $BINFMT/qemu-aarch64"
}

# Inside the new namespaces: mount our binfmt_misc, register, run the command.
inner() {
  local name="$1" interpreter="$2"
  shift 2
  mount -t binfmt_misc binfmt_misc "$BINFMT"
  register "$name" "$interpreter"
  PATH="$caller_path"
  exec "$@"
}

cmd="${1-}"
shift || true
case "$cmd" in
  check)
    m="$(mode)"
    if [[ "$m" == system ]] && ! system_entry >/dev/null; then
      die "no private binfmt_misc (needs Linux 6.7+ and user namespaces) and no system-wide aarch64 entry: run bash scripts/qemu-binfmt.sh setup as root"
    fi
    echo "$m"
    ;;
  setup)
    qemu_path >/dev/null
    if [[ "$(mode)" == private ]]; then
      echo "qemu-binfmt: private mode (binfmt_misc per user namespace): nothing to register system-wide"
    else
      system_setup
    fi
    ;;
  qemu)
    qemu="$(qemu_path)"
    if [[ "$(mode)" == private ]]; then
      ns /bin/bash "$script" __inner qemu-aarch64 "$qemu" "$qemu" "$@"
    fi
    system_entry >/dev/null || die "no aarch64 entry in $BINFMT: run bash scripts/qemu-binfmt.sh setup as root"
    PATH="$caller_path"
    exec "$qemu" "$@"
    ;;
  guard)
    (($# >= 2)) || die "usage: qemu-binfmt.sh guard LOG CMD..."
    log="$(readlink -f "$1")"
    shift
    if [[ "$(mode)" == system ]]; then
      PATH="$caller_path"
      exec "$@"
    fi
    # The tripwire is a script next to the log: a binfmt_misc interpreter may
    # itself be a #! script. It gets the file's path and its argv.
    wire="$log.tripwire"
    cat >"$wire" <<EOF
#!/bin/sh
printf 'host execve of an aarch64 file: %s\n' "\$*" >>'$log'
echo "qemu-binfmt guard: the host kernel was asked to exec the aarch64 file \$1" >&2
exit 126
EOF
    chmod 755 "$wire"
    ns /bin/bash "$script" __inner aarch64-tripwire "$wire" "$@"
    ;;
  __inner)
    inner "$@"
    ;;
  *)
    sed -n '2,/^set -euo/p' "$script" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
