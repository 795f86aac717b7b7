#!/bin/sh
# make bench: boot the base and the patched kernel in turn, BENCH_ROUNDS
# times each, with the bench programs alone, and print for each figure the
# min, median and max over the rounds of each kernel and the ratio of the
# medians. Figures, not tests: nothing here passes or fails.
#
# Usage: bench.sh <base build> <patched build> <selftests dir> <run dir> [label]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tests=$(realpath "$3")
out=$(realpath -m "$4")
label=${5:-}
rounds=${BENCH_ROUNDS:-5}

prepare() {
	kb=$(realpath "$1") run=$out/$2
	rm -rf "$run"
	mkdir -p "$run/module"
	make -s -C "$kb" M="$top" MO="$run/module" modules
	: >"$run/index"
	# shellcheck disable=SC2046
	"$top/tools/vm/mkinitramfs.sh" "$kb" "$run/initramfs.gz" \
		$(find "$run/module" -name '*.ko') "$run/index" "$tests/bench" \
		"$tests/vfio_bench"
}

boot() {
	kb=$(realpath "$1") run=$out/$2
	VM_APPEND="prt.tests=bench.*,vfio_bench.*" "$top/tools/vm/run.sh" \
		"$kb/arch/x86/boot/bzImage" "$run/initramfs.gz" "$run/vm" >/dev/null
	sed -n "s/^bench //p" "$run/vm/results.log" >>"$run/figures"
}

prepare "$1" base
prepare "$2" patched
# Interleaved, so that a change in the host's load meets both kernels.
i=0
while [ $i -lt "$rounds" ]; do
	boot "$1" base
	boot "$2" patched
	i=$((i + 1))
done

# "<figure> <min> <median> <max>", one line per figure.
spread() {
	sort -k1,1 -k2,2n "$1" | awk '
		$1 != name { if (name != "") out(); name = $1; n = 0 }
		{ v[n++] = $2 }
		function out() { printf "%s %s %s %s\n", name, v[0], v[int((n - 1) / 2)], v[n - 1] }
		END { if (name != "") out() }'
}
spread "$out/base/figures" >"$out/base/spread"
spread "$out/patched/figures" >"$out/patched/spread"
echo "bench${label:+ ($label)}: $rounds rounds each; figure, base min/median/max," \
     "patched min/median/max, patched/base of the medians"
join "$out/base/spread" "$out/patched/spread" | awk -v l="$label" '
	{ r = ($3 > 0 && $6 >= 0) ? sprintf("%.3f", $6 / $3) : "n/a"
	  printf "bench%s: %-16s %s/%s/%s  %s/%s/%s  %s\n", l ? " " l : "",
		$1, $2, $3, $4, $5, $6, $7, r }
	$1 == "lock_unlock_ns" { base = $3; plain = $6 }
	$1 == "nested_ns" { nested = $6 }
	# A nested lock+unlock by the owner, against the base lock+unlock.
	END { if (base > 0 && nested > plain)
		printf "bench%s: %-16s %s  %s  %.3f\n", l ? " " l : "", "inner_pair_ns",
			base, nested - plain, (nested - plain) / base }'
