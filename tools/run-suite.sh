#!/bin/sh
# Build the test modules against one kernel build, pack them with the
# selftests, and run the boots that tools/testsets.py plans: one VM boot per
# test set, or per test where a set asks for it, each in its own run dir.
#
# Usage: run-suite.sh <kernel build dir> <run dir> <selftests dir> [plan options]
#        (plan options go to 'testsets.py plan', e.g. --tests <id>,<id>)
set -eu

kbuild=$(realpath "$1")
run=$(realpath -m "$2")
tests=$(realpath "$3")
shift 3
top=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$run"
mkdir -p "$run/module"
# From scratch: kbuild does not rebuild an external module whose kernel
# changed config, and a stale module does not load.
make -s -C "$kbuild" M="$top" MO="$run/module" modules
"$top/tools/testsets.py" index >"$run/index"
"$top/tools/testsets.py" plan "$@" >"$run/plan"
# shellcheck disable=SC2046
"$top/tools/vm/mkinitramfs.sh" "$kbuild" "$run/initramfs.gz" \
	$(find "$run/module" -name '*.ko') "$run/index" \
	$(find "$tests" -maxdepth 1 -type f -perm -u+x)

: >"$run/boots"
while read -r boot hotplug globs; do
	start=$(date +%s)
	HOTPLUG=$hotplug VM_APPEND="prt.tests=$globs" "$top/tools/vm/run.sh" \
		"$kbuild/arch/x86/boot/bzImage" "$run/initramfs.gz" "$run/$boot" </dev/null
	echo "$boot $hotplug $globs $(($(date +%s) - start))" >>"$run/boots"
done <"$run/plan"
echo "run-suite: $(wc -l <"$run/boots") boots, $(awk '{ s += $4 } END { print s }' "$run/boots")s in the VM"
