#!/bin/sh
# Configure and build one kernel: tinyconfig + the test fragment, in its own
# O= directory, through ccache when it is installed and tools/kcsan-cc.sh.
#
# Usage: build-kernel.sh <source tree> <output dir> [extra fragment...]
set -eu

src=$(realpath "$1")
out=$(realpath -m "$2")
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
frags="$top/tools/kconfig/test.config $*"

. "$top/tools/ccache.sh"
export PRT_CC="${ccache}gcc"
cc="$top/tools/kcsan-cc.sh"
# The same sources give the same image: a kernel rebuilt after a checkout
# of other files and back is the kernel that was tested (run-suite.sh).
export KBUILD_BUILD_TIMESTAMP="${KBUILD_BUILD_TIMESTAMP:-Thu Jan  1 00:00:00 UTC 1970}"
export KBUILD_BUILD_VERSION="${KBUILD_BUILD_VERSION:-1}"
export KBUILD_BUILD_USER="${KBUILD_BUILD_USER:-root}" KBUILD_BUILD_HOST="${KBUILD_BUILD_HOST:-vm}"
jobs=${JOBS:-$(($(nproc) + 1))}
kmake() { make -s -C "$src" O="$out" CC="$cc" -j"$jobs" "$@"; }

mkdir -p "$out"
# Only reconfigure when the fragments change: keeps rebuilds incremental.
stamp="$out/.test-config.sum"
sum=$(cat $frags | sha256sum)
if [ ! -f "$out/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
	kmake tinyconfig >/dev/null
	# shellcheck disable=SC2086
	KCONFIG_CONFIG="$out/.config" "$src/scripts/kconfig/merge_config.sh" \
		-m -O "$out" "$out/.config" $frags >/dev/null
	kmake olddefconfig
	# What the fragments ask for, the last one that names an option winning.
	missing=$(cat $frags | awk '
		/^CONFIG_[A-Z0-9_]+=/ { split($0, kv, "="); want[kv[1]] = $0 }
		/^# CONFIG_[A-Z0-9_]+ is not set$/ { delete want[$2] }
		END { for (k in want) print want[k] }' | while read -r l; do
		grep -qx "$l" "$out/.config" || echo "$l"
	done)
	if [ -n "$missing" ]; then
		echo "build-kernel: options that did not stick in $out/.config:" >&2
		echo "$missing" >&2
		exit 1
	fi
	echo "$sum" >"$stamp"
fi
kmake bzImage modules
# The image must hold the kernel just linked: a stale piggy.o once put
# another kernel in it (tools/kcsan-cc.sh).
if ! "$src/scripts/extract-vmlinux" "$out/arch/x86/boot/bzImage" 2>/dev/null |
	cmp -s - "$out/arch/x86/boot/compressed/vmlinux.bin"; then
	echo "build-kernel: $out/arch/x86/boot/bzImage does not hold $out/vmlinux" >&2
	exit 1
fi
