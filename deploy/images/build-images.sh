#!/usr/bin/env bash
# Builds, with podman and without any registry, the images the container path and the worker image need:
#
#   localhost/refundworker-debian:12          minimal Debian 12 (debootstrap --variant=minbase from the apt mirror)
#   localhost/refundworker-postgres:15        + Debian's postgresql, entrypoint compatible with the official image
#   localhost/refundworker-rabbitmq:3         + Debian's rabbitmq-server with the management plugin
#   localhost/refundworker-dotnet-runtime:10  + the ASP.NET Core runtime copied from this machine's .NET SDK
#   localhost/refundworker-dotnet-sdk:10      + this machine's whole .NET SDK (the worker Dockerfile's build stage)
#
# On a laptop with Docker Hub none of this is needed: the test fixtures fall back to postgres:16 and
# rabbitmq:3.13-management, and the Dockerfile defaults to Microsoft's sdk/aspnet images.
#
# An image that already exists is kept (so CI pays for it once per machine); --rebuild builds them all again.
# The debootstrapped root file system is cached under $IMAGES_WORK (default /var/tmp/refundworker-images).
# Needs root (debootstrap, chroot) and podman.
set -euo pipefail

WORK=${IMAGES_WORK:-/var/tmp/refundworker-images}
SUITE=bookworm
REBUILD=0
[ "${1:-}" = --rebuild ] && REBUILD=1
HERE=$(cd "$(dirname "$0")" && pwd)

BASE=localhost/refundworker-debian:12
POSTGRES=localhost/refundworker-postgres:15
RABBITMQ=localhost/refundworker-rabbitmq:3
RUNTIME=localhost/refundworker-dotnet-runtime:10
SDK=localhost/refundworker-dotnet-sdk:10

say() { printf '==> images: %s\n' "$*" >&2; }
die() { printf 'build-images.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap and chroot)"
command -v podman >/dev/null || die "needs podman"
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# The Debian mirror this machine's apt uses (deb822 or one-line sources), so the images come from the same place.
mirror() {
  local m
  m=$(grep -h -E '^URIs:.*debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 | awk '{print $2}')
  [ -n "$m" ] || m=$(grep -h -E '^deb .*/debian/? ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 | awk '{print $2}')
  echo "${DEBIAN_MIRROR:-${m:-http://deb.debian.org/debian}}"
}

exists() { [ $REBUILD -eq 0 ] && podman image exists "$1"; }

# A debootstrapped Debian 12, kept as a directory: each image starts from a copy of it.
rootfs() {
  if [ -f "$WORK/base/.complete" ] && [ $REBUILD -eq 0 ]; then return 0; fi
  rm -rf "$WORK/base"; mkdir -p "$WORK"
  say "debootstrap $SUITE from $(mirror) (a few minutes)"
  debootstrap --variant=minbase "$SUITE" "$WORK/base" "$(mirror)" > "$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed (log: $WORK/debootstrap.log)"; }
  # Daemons never start inside the chroot while packages install.
  printf '#!/bin/sh\nexit 101\n' > "$WORK/base/usr/sbin/policy-rc.d"; chmod +x "$WORK/base/usr/sbin/policy-rc.d"
  touch "$WORK/base/.complete"
}

# copy NAME: a fresh copy of the base root file system at $WORK/NAME.
copy() { rm -rf "${WORK:?}/$1"; cp -a "$WORK/base" "$WORK/$1"; rm -f "$WORK/$1/.complete"; }

# install NAME PACKAGE...: apt-get install into $WORK/NAME.
install_into() {
  local root=$WORK/$1; shift
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  local rc=0
  local log=$WORK/$(basename "$root").apt.log
  chroot "$root" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $*" \
    >"$log" 2>&1 || rc=$?
  umount "$root/proc"
  [ $rc -eq 0 ] || { tail -n 20 "$log" >&2; die "installing $* into $(basename "$root") failed (log: $log)"; }
}

# finish NAME: drop caches and per-build leftovers, so images are small and carry no host data.
finish() {
  local root=$WORK/$1
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/tmp/* "$root"/usr/sbin/policy-rc.d
  : > "$root/etc/resolv.conf"
}

# import NAME IMAGE podman-import-change...: tar the root file system into an image.
import() {
  local name=$1 image=$2; shift 2
  local changes=()
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$WORK/$name" --numeric-owner -c . | podman import --quiet "${changes[@]}" - "$image" >/dev/null
  rm -rf "${WORK:?}/$name"
  say "built $image ($(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
}

build_base() {
  exists "$BASE" && return 0
  rootfs; copy debian; finish debian
  import debian "$BASE" 'CMD ["/bin/bash"]' 'ENV LANG=C.UTF-8'
}

build_postgres() {
  exists "$POSTGRES" && return 0
  rootfs; copy postgres
  install_into postgres postgresql
  local root=$WORK/postgres
  # The package's own cluster is not used: the entrypoint initialises one from the environment on first start.
  rm -rf "$root"/etc/postgresql/* "$root"/var/lib/postgresql/*
  install -d -o postgres -g postgres "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
  chroot "$root" chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql
  install -m 755 "$HERE/postgres-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
  finish postgres
  import postgres "$POSTGRES" 'USER postgres' 'ENV LANG=C.UTF-8' 'ENV PGDATA=/var/lib/postgresql/data' 'EXPOSE 5432' \
    'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD []' 'STOPSIGNAL SIGINT'
}

build_rabbitmq() {
  exists "$RABBITMQ" && return 0
  rootfs; copy rabbitmq
  install_into rabbitmq rabbitmq-server
  local root=$WORK/rabbitmq
  echo '[rabbitmq_management].' > "$root/etc/rabbitmq/enabled_plugins"
  rm -rf "$root"/var/lib/rabbitmq/mnesia "$root"/var/log/rabbitmq/*
  chroot "$root" chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq /etc/rabbitmq
  install -m 755 "$HERE/rabbitmq-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
  finish rabbitmq
  import rabbitmq "$RABBITMQ" 'USER rabbitmq' 'ENV LANG=C.UTF-8' 'EXPOSE 5672' 'EXPOSE 15672' \
    'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD []'
}

dotnet_root() { dirname "$(readlink -f "$(command -v dotnet)")"; }

build_runtime() {
  exists "$RUNTIME" && return 0
  command -v dotnet >/dev/null || die "the .NET runtime image is copied from this machine's SDK: dotnet not found"
  rootfs; copy runtime
  # What Microsoft's aspnet image adds to Debian: TLS roots, ICU, tzdata (TimeZoneInfo), OpenSSL, libstdc++ and
  # GSSAPI (without it the runtime prints "libgssapi_krb5.so.2: cannot open shared object file" when Npgsql connects).
  install_into runtime ca-certificates libicu72 tzdata libssl3 libstdc++6 zlib1g libgssapi-krb5-2
  local root=$WORK/runtime src
  src=$(dotnet_root)
  mkdir -p "$root/usr/share/dotnet/shared"
  cp -a "$src/dotnet" "$src/host" "$src/LICENSE.txt" "$src/ThirdPartyNotices.txt" "$root/usr/share/dotnet/"
  cp -a "$src/shared/Microsoft.NETCore.App" "$src/shared/Microsoft.AspNetCore.App" "$root/usr/share/dotnet/shared/"
  ln -sf /usr/share/dotnet/dotnet "$root/usr/bin/dotnet"
  finish runtime
  import runtime "$RUNTIME" 'ENV LANG=C.UTF-8' 'ENV DOTNET_RUNNING_IN_CONTAINER=true' 'ENV ASPNETCORE_HTTP_PORTS=8080' \
    'CMD ["dotnet", "--info"]'
}

build_sdk() {
  exists "$SDK" && return 0
  command -v dotnet >/dev/null || die "the .NET SDK image is copied from this machine's SDK: dotnet not found"
  rootfs; copy sdk
  install_into sdk ca-certificates libicu72 tzdata libssl3 libstdc++6 zlib1g libgssapi-krb5-2
  local root=$WORK/sdk
  mkdir -p "$root/usr/share/dotnet"
  cp -a "$(dotnet_root)"/. "$root/usr/share/dotnet/"
  ln -sf /usr/share/dotnet/dotnet "$root/usr/bin/dotnet"
  finish sdk
  import sdk "$SDK" 'ENV LANG=C.UTF-8' 'ENV DOTNET_RUNNING_IN_CONTAINER=true' 'ENV DOTNET_CLI_TELEMETRY_OPTOUT=1' \
    'ENV DOTNET_NOLOGO=1' 'CMD ["dotnet", "--info"]'
}

# Which to build: all by default, or the names given (base postgres rabbitmq runtime sdk).
targets=("$@"); [ "${targets[0]:-}" = --rebuild ] && targets=("${targets[@]:1}")
[ ${#targets[@]} -eq 0 ] && targets=(base postgres rabbitmq runtime sdk)
for t in "${targets[@]}"; do
  start=$(date +%s)
  case "$t" in
    base) build_base ;; postgres) build_postgres ;; rabbitmq) build_rabbitmq ;; runtime) build_runtime ;; sdk) build_sdk ;;
    *) die "unknown image '$t' (base postgres rabbitmq runtime sdk)" ;;
  esac
  say "$t ready in $(( $(date +%s) - start )) s"
done
