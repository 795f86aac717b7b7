#!/bin/sh
# Install the host packages the build, the VM and the static gates need,
# from Debian's registry only.
set -eu

# uuid-dev: libuuid.a, linked by the kernel's VFIO selftest library.
# gcc-powerpc64le-linux-gnu: the gates cross-build what the series changes
# for powerpc. b4: make submission sends each series with b4, dry.
pkgs="build-essential flex bison bc libelf-dev libssl-dev dwarves cpio xz-utils
lz4 zstd ccache sparse coccinelle qemu-system-x86 busybox-static python3 git perl
uuid-dev gcc-powerpc64le-linux-gnu b4"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
