#!/usr/bin/env bash
# A Debian 13 (trixie) root for building and testing vkstyle against GIMP 3 and Debian 13's
# libraries and validation layers on a Debian 12 host (docs/architecture.md, "Debian 13 root").
#
#   scripts/debian13-root.sh ensure        make the root (restore the cached tarball, else build
#                                          it and cache it); prints its folder
#   scripts/debian13-root.sh run CMD...    run CMD in the root, in the checkout (bind-mounted
#                                          at /src), with /dev, /dev/shm, /proc and /sys mounted
#   scripts/debian13-root.sh shell         an interactive shell there
#   scripts/debian13-root.sh test          meson setup + ninja + meson test in build-d13/build
#                                          (extra meson arguments: $VKSTYLE_D13_MESON_ARGS)
#   scripts/debian13-root.sh tarball       print the cached tarball's path
#
# The root lives in $VKSTYLE_D13_ROOT (default: build-d13/root in the checkout), the tarball in
# ${XDG_CACHE_HOME:-$HOME/.cache}/vkstyle/debian13-root-<hash>.tar.zst, where <hash> names the
# package list (scripts/debian13-packages.txt), so a changed list builds a new root. Needs root
# (debootstrap, chroot, mount); debootstrap and zstd are installed with apt when missing.
# Every mount is undone when the script exits, whatever the way.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
checkout=$(dirname "$here")
mirror=${VKSTYLE_D13_MIRROR:-http://deb.debian.org/debian}
suite=trixie
list=$here/debian13-packages.txt

die() { echo "debian13-root: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot and mount need it)"
[ -r "$list" ] || die "no package list $list"
mapfile -t packages < <(grep -v '^#' "$list" | grep -v '^[[:space:]]*$')
[ ${#packages[@]} -gt 0 ] || die "$list lists no packages"

# The hash covers what the root is made of (suite and packages), not the list's comments.
hash=$(printf '%s\n' "$suite" "${packages[@]}" | sha256sum | cut -c1-12)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vkstyle
tarball=$cache/debian13-root-$hash.tar.zst
root=${VKSTYLE_D13_ROOT:-$checkout/build-d13/root}
stamp=.vkstyle-debian13-root-$hash

# Mount points made by this process, undone in reverse order by the EXIT trap.
mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    # -R: /dev and /sys were bound recursively; -l only if something still holds it open.
    umount -R "${mounted[$i]}" 2>/dev/null || umount -R -l "${mounted[$i]}" ||
      echo "debian13-root: could not unmount ${mounted[$i]}" >&2
  done
  mounted=()
}
tmpdirs=()
cleanup() {
  local status=$?
  unmount_all
  local d
  for d in "${tmpdirs[@]}"; do rm -rf --one-file-system "$d"; done
  exit $status
}
# A signal to this script alone (a CI timeout sends TERM) is passed on to the command in the
# root, which is waited for, briefly, so that the mounts are free to go when cleanup runs.
child=
on_signal() {
  if [ -n "$child" ] && kill -"$1" "$child" 2>/dev/null; then
    local i
    for ((i = 0; i < 20; i++)); do kill -0 "$child" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$child" 2>/dev/null || true
  fi
  exit "$2"
}
trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

# do_mount TARGET MOUNT-ARGS...: mount, and remember TARGET for unmount_all.
do_mount() {
  local target=$1
  shift
  mount "$@" "$target" || die "could not mount $target (mount $*)"
  mounted+=("$target")
}

# mount_into DIR [WITH_SRC]: the kernel file systems (and the checkout at /src) inside DIR.
mount_into() {
  local dir=$1 with_src=${2:-}
  mkdir -p "$dir/dev" "$dir/proc" "$dir/sys"
  # rslave: mounts and unmounts inside the root must not propagate back to the host's /dev.
  do_mount "$dir/dev" --rbind /dev
  mount --make-rslave "$dir/dev"
  # GIMP 3 passes tiles to plug-ins through shared memory; a fresh tmpfs when the host's /dev
  # has no /dev/shm mount of its own.
  if ! mountpoint -q "$dir/dev/shm"; then
    mkdir -p "$dir/dev/shm"
    do_mount "$dir/dev/shm" -t tmpfs -o mode=1777,nosuid,nodev tmpfs
  fi
  do_mount "$dir/proc" -t proc proc
  do_mount "$dir/sys" --rbind /sys
  mount --make-rslave "$dir/sys"
  if [ -n "$with_src" ]; then
    mkdir -p "$dir/src"
    do_mount "$dir/src" --bind "$checkout"
  fi
}

# root_env: sets envs to the environment commands in the root get: a clean one plus the
# variables the scripts and tests read.
root_env() {
  envs=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive TERM="${TERM:-dumb}")
  local v
  for v in $(compgen -v); do
    case $v in VKSTYLE_*|CI|MESON_TESTTHREADS) envs+=("$v=${!v}") ;; esac
  done
}

# in_root DIR CMD...: CMD in DIR with that environment.
in_root() {
  local dir=$1
  shift
  root_env
  chroot "$dir" /usr/bin/env -i "${envs[@]}" "$@"
}

host_tools() {
  local need=()
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v zstd >/dev/null || need+=(zstd)
  if [ ${#need[@]} -gt 0 ]; then
    echo "debian13-root: installing ${need[*]} on the host" >&2
    # The package lists may be stale or absent (a fresh image): update once on failure.
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "${need[@]}" >&2 ||
      { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${need[@]}" >&2; } ||
      die "could not install ${need[*]} on the host (apt-get failed: no network?)"
  fi
}

# build_root DIR: debootstrap + the package list into DIR (empty), then the tarball.
build_root() {
  local dir=$1 t0=$SECONDS
  echo "debian13-root: debootstrap $suite from $mirror into $dir" >&2
  debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"$dir.debootstrap.log" 2>&1 || {
    tail -n 20 "$dir.debootstrap.log" >&2
    die "debootstrap failed (network or mirror $mirror unreachable?); log: $dir.debootstrap.log"
  }
  echo "debian13-root: debootstrap took $((SECONDS - t0)) s" >&2
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  # No services may start inside the root while packages install.
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir/usr/sbin/policy-rc.d"
  local t1=$SECONDS
  mount_into "$dir"
  in_root "$dir" apt-get update -q >&2 || die "apt-get update failed in the root"
  in_root "$dir" apt-get install -y -q --no-install-recommends "${packages[@]}" >&2 ||
    die "apt-get install failed in the root"
  in_root "$dir" apt-get clean
  unmount_all
  rm -rf "$dir"/var/lib/apt/lists/* "$dir.debootstrap.log"
  echo "$hash" >"$dir/$stamp"
  echo "debian13-root: packages took $((SECONDS - t1)) s, root is $(du -sh "$dir" | cut -f1)" >&2
  # The tarball is written beside its final name and renamed, so a cache never holds half of
  # one.
  local t2=$SECONDS
  mkdir -p "$cache"
  local part=$tarball.part.$$
  tmpdirs+=("$part")
  tar -C "$dir" --numeric-owner --one-file-system -cf - . | zstd -q -T0 -3 -o "$part" ||
    die "could not write $tarball"
  mv "$part" "$tarball"
  echo "debian13-root: tarball $tarball ($(du -h "$tarball" | cut -f1)) took $((SECONDS - t2)) s" >&2
}

# ensure: $root holds this package list's root afterwards.
ensure() {
  [ -e "$root/$stamp" ] && return 0
  if [ -e "$root" ]; then
    # A root of another package list, or one left half-made: never reuse it.
    # (grep without -q: with pipefail an early exit would turn a match into findmnt's SIGPIPE.)
    findmnt -rn -o TARGET | grep "^$root/" >/dev/null && die "$root has mounts; unmount them first"
    echo "debian13-root: replacing $root (not this package list's root)" >&2
    rm -rf --one-file-system "$root"
  fi
  host_tools
  mkdir -p "$(dirname "$root")"
  local new=$root.new.$$
  tmpdirs+=("$new")
  mkdir "$new"
  if [ -e "$tarball" ]; then
    local t0=$SECONDS
    tar -I zstd -C "$new" --numeric-owner -xf "$tarball" || die "could not extract $tarball"
    [ -e "$new/$stamp" ] || die "$tarball is not a root of this package list"
    echo "debian13-root: restored from $tarball in $((SECONDS - t0)) s" >&2
  else
    build_root "$new"
  fi
  mv "$new" "$root"
}

run_in_checkout() {
  ensure
  mount_into "$root" src
  local status=0
  # In the background so that a signal's trap runs at once (bash defers traps until a foreground
  # command ends); stdin passed explicitly, as a background command would get /dev/null. A
  # simple command, not a function, and an exec chain (chroot, env, bash): $child is the
  # command itself.
  root_env
  exec 3<&0
  chroot "$root" /usr/bin/env -i "${envs[@]}" /bin/bash -c 'cd /src && exec "$@"' bash "$@" <&3 &
  child=$!
  wait "$child" || status=$?
  child=
  unmount_all
  return $status
}

# One user of a root at a time: a second one's unmounts would pull the mounts from under the
# first.
lock_root() {
  mkdir -p "$(dirname "$root")"
  exec 9>"$root.lock"
  flock -n 9 || die "$root is in use by another debian13-root.sh (lock $root.lock)"
}

command=${1:-}
[ $# -gt 0 ] && shift
case $command in ensure|run|shell|test) lock_root ;; esac
case $command in
  ensure) ensure; echo "$root" ;;
  tarball) echo "$tarball" ;;
  run) [ $# -gt 0 ] || die "run needs a command"; run_in_checkout "$@" ;;
  shell) run_in_checkout /bin/bash -i ;;
  test) run_in_checkout /bin/bash scripts/debian13-suite.sh ;;
  *) die "usage: $0 ensure|tarball|run CMD...|shell|test" ;;
esac
