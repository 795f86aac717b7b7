#!/bin/sh
# make bench: boot the base and the patched kernel once each, in the same
# run, with the bench program alone, and print each figure with its
# patched/base ratio. Figures, not tests: nothing here passes or fails.
#
# Usage: bench.sh <base build> <patched build> <selftests dir> <run dir>
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tests=$(realpath "$3")
out=$(realpath -m "$4")

boot() {
	kb=$(realpath "$1") run=$out/$2
	rm -rf "$run"
	mkdir -p "$run/module"
	make -s -C "$kb" M="$top" MO="$run/module" modules
	: >"$run/index"
	# shellcheck disable=SC2046
	"$top/tools/vm/mkinitramfs.sh" "$kb" "$run/initramfs.gz" \
		$(find "$run/module" -name '*.ko') "$run/index" "$tests/bench" \
		"$tests/vfio_bench"
	VM_APPEND="prt.tests=bench.*,vfio_bench.*" "$top/tools/vm/run.sh" \
		"$kb/arch/x86/boot/bzImage" "$run/initramfs.gz" "$run/vm" >/dev/null
	sed -n "s/^bench //p" "$run/vm/results.log" | sort >"$run/figures"
}

boot "$1" base
boot "$2" patched
echo "bench: figure, base, patched, patched/base"
join "$out/base/figures" "$out/patched/figures" | awk '
	{ r = ($2 > 0 && $3 >= 0) ? sprintf("%.3f", $3 / $2) : "n/a"
	  printf "bench: %-16s %10s %10s %8s\n", $1, $2, $3, r }
	$1 == "lock_unlock_ns" { base = $2; plain = $3 }
	$1 == "nested_ns" { nested = $3 }
	# A nested lock+unlock by the owner, against the base lock+unlock.
	END { if (base > 0 && nested > plain)
		printf "bench: %-16s %10s %10s %8.3f\n", "inner_pair_ns", base,
			nested - plain, (nested - plain) / base }'
