#!/bin/sh
# Build the test modules the way a distribution's kernel maintainer does,
# against a kernel configured with Debian's own 7.3 config (package
# linux-config-7.3), which has KPROBES and PCI_IOV but not FAULT_INJECTION,
# KUNIT or PROVE_LOCKING. Only the module build is checked: modules_prepare
# gives what "make -C <build> M=<dir>" needs, and modpost warns instead of
# failing on the kernel's symbols, which only a full build would list.
#
# Usage: build-distro-modules.sh <source tree> <output dir> <log>
# Env:   LINUX_CONFIG_PKG, LINUX_SOURCE_VERSION, LINUX_SOURCE_SUITE
set -eu

src=$(realpath "$1")
out=$(realpath -m "$2")
log=$3
top=$(cd "$(dirname "$0")/.." && pwd)
pkg=${LINUX_CONFIG_PKG:-linux-config-7.3}
ver=${LINUX_SOURCE_VERSION:-7.3.4-1~bpo13+1}
apt=$top/.cache/apt
. "$top/tools/ccache.sh"

# The private package list of get-tree.sh, which made the tree.
aptopts="-o Dir::Etc::sourcelist=$apt/sources.list -o Dir::Etc::sourceparts=-
	-o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache
	-o APT::Sandbox::User=root"
mkdir -p "$apt/config" "$out"
if ! ls "$apt"/config/"${pkg}_"*.deb >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	(cd "$apt/config" && apt-get -qq $aptopts download "$pkg=$ver")
fi
dpkg-deb -x "$(ls "$apt"/config/"${pkg}"_*.deb)" "$apt/config/x"
xzcat "$(find "$apt/config/x" -name config.amd64_none_amd64.xz)" >"$out/.config"

kmake() { make -s -C "$src" O="$out" CC="${ccache}gcc" -j"$(($(nproc) + 1))" "$@"; }
{
	# Unsigned modules: the signing key is Debian's, not ours.
	"$src/scripts/config" --file "$out/.config" -d MODULE_SIG_ALL \
		--set-str SYSTEM_TRUSTED_KEYS "" --set-str MODULE_SIG_KEY ""
	kmake olddefconfig
	kmake modules_prepare
	for opt in KPROBES PCI_IOV VFIO_PCI_CORE FAULT_INJECTION_DEBUG_FS KUNIT PROVE_LOCKING; do
		echo "distro config: CONFIG_$opt=$(sed -n "s/^CONFIG_$opt=//p" "$out/.config")"
	done
	make -s -C "$out" M="$top" MO="$out/prt-modules" KBUILD_MODPOST_WARN=1 modules
} >"$log" 2>&1
find "$out/prt-modules" -name '*.ko' -printf '%f\n' | sort
