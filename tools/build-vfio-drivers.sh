#!/bin/sh
# Build the six vfio-pci migration drivers with W=1 and sparse. The test
# kernel builds none of them (their hardware is not in the VM), and a full
# kernel with their subsystems is far too slow for a gate: configure once
# with everything they depend on, then build only their directories.
#
# Prints the warnings and errors of each driver as "<driver>: <line>",
# paths relative to the tree; exits 1, naming it on stderr, if a driver
# does not build.
#
# Usage: build-vfio-drivers.sh <source tree> <output dir> [driver...]
set -eu

src=$(realpath "$1")
out=$(realpath -m "$2")
shift 2
drivers=${*:-mlx5 virtio xe hisilicon pds qat}
top=$(cd "$(dirname "$0")/.." && pwd)

. "$top/tools/ccache.sh"
cc="${ccache}gcc"
# Debian 12's sparse, as in gates.sh.
check="sparse -D__typeof_unqual__=__typeof__ '-D__builtin_strlen(s)=(sizeof(s)-1)'"
# W=1 for prepare too: prepare rebuilds its objects when the flags change.
kmake() {
	make -s -C "$src" O="$out" ARCH=x86_64 CC="$cc" W=1 \
		-j"${JOBS:-$(($(nproc) + 1))}" "$@"
}

# The drivers, then what they depend on: tinyconfig has none of it.
# COMPILE_TEST lets hisilicon build on x86; ACPI is for hisilicon's
# crypto drivers, and X86_PLATFORM_DEVICES for xe once ACPI is on.
frag='CONFIG_MLX5_VFIO_PCI=y
CONFIG_VIRTIO_VFIO_PCI=y
CONFIG_XE_VFIO_PCI=y
CONFIG_HISI_ACC_VFIO_PCI=y
CONFIG_PDS_VFIO_PCI=y
CONFIG_QAT_VFIO_PCI=y
CONFIG_64BIT=y
CONFIG_PCI=y
CONFIG_PCI_MSI=y
CONFIG_PCI_IOV=y
CONFIG_VFIO=y
CONFIG_VFIO_PCI=y
CONFIG_VFIO_PCI_CORE=y
CONFIG_COMPILE_TEST=y
CONFIG_ACPI=y
CONFIG_X86_PLATFORM_DEVICES=y
CONFIG_NET=y
CONFIG_NETDEVICES=y
CONFIG_ETHERNET=y
CONFIG_NET_VENDOR_MELLANOX=y
CONFIG_MLX5_CORE=y
CONFIG_NET_VENDOR_AMD=y
CONFIG_PDS_CORE=y
CONFIG_VIRTIO_MENU=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_VFIO_PCI_ADMIN_LEGACY=y
CONFIG_DRM=y
CONFIG_DRM_XE=y
CONFIG_CRYPTO=y
CONFIG_CRYPTO_HW=y
CONFIG_CRYPTO_DEV_HISI_QM=y
CONFIG_CRYPTO_DEV_HISI_HPRE=y
CONFIG_CRYPTO_DEV_HISI_SEC2=y
CONFIG_CRYPTO_DEV_HISI_ZIP=y
CONFIG_CRYPTO_DEV_QAT_4XXX=y'

mkdir -p "$out"
stamp="$out/.vfio-drivers-config.sum"
sum=$(echo "$frag" | sha256sum)
if [ ! -f "$out/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
	kmake tinyconfig >/dev/null
	echo "$frag" >"$out/.vfio-drivers.config"
	KCONFIG_CONFIG="$out/.config" "$src/scripts/kconfig/merge_config.sh" \
		-m -O "$out" "$out/.config" "$out/.vfio-drivers.config" >/dev/null
	kmake olddefconfig >/dev/null
	echo "$sum" >"$stamp"
fi
kmake prepare
# Checked on every run: prepare syncs .config with the Kconfig of this
# tree, which may drop what another tree had.
missing=$(echo "$frag" | while read -r l; do
	grep -qx "$l" "$out/.config" || echo "$l"
done)
if [ -n "$missing" ]; then
	echo "build-vfio-drivers: options that did not stick in $out/.config:" >&2
	echo "$missing" >&2
	exit 2
fi

rel=$(realpath -m --relative-to="$out" "$src")
st=0
for d in $drivers; do
	dir=drivers/vfio/pci/$d
	# An object that is up to date is not compiled, and its W=1
	# warnings would go missing: compile every one (ccache replays).
	rm -f "$out/$dir"/*.o
	if ! kmake C=2 CHECK="$check" "$dir/" >"$out/$d.log" 2>&1; then
		echo "build-vfio-drivers: $d: does not build (see $out/$d.log)" >&2
		st=1
	fi
	# Paths relative to the tree, so that two trees' outputs compare;
	# through ccache, gcc names the sources relative to $out.
	grep -E 'warning|error|not available' "$out/$d.log" |
		sed "s|^$src/||; s|^$rel/||; s|^|$d: |" || true
done
exit "$st"
