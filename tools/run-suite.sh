#!/bin/sh
# Build the test module against one kernel build, pack it with the
# selftests, and run everything in the test VM.
#
# Usage: run-suite.sh <kernel build dir> <run dir> <selftests dir>
set -eu

kbuild=$(realpath "$1")
run=$(realpath -m "$2")
tests=$(realpath "$3")
top=$(cd "$(dirname "$0")/.." && pwd)

# From scratch: kbuild does not rebuild an external module whose kernel
# changed config, and a stale module does not load.
rm -rf "$run/module"
mkdir -p "$run/module"
make -s -C "$kbuild" M="$top" MO="$run/module" modules
"$top/tools/vm/mkinitramfs.sh" "$kbuild" "$run/initramfs.gz" \
	"$run/module/pci_reset_test.ko" $(ls "$tests"/* | grep -v '\.')
"$top/tools/vm/run.sh" "$kbuild/arch/x86/boot/bzImage" "$run/initramfs.gz" "$run"
