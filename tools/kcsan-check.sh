#!/bin/sh
# The series' kernel with KCSAN on, with the sets whose tasks race without
# being parked: one "ok|FAIL kcsan: ..." line to <items file>. Any test
# that fails, any KCSAN report or other splat in a boot, and any boot in
# which KCSAN did not start fail it. Every test kernel has KCSAN built in
# and off (tools/kconfig/test.config): this stage builds nothing.
# sriov_locks is left out: it parks one side of each race, so its accesses
# do not overlap, and its ten boots would cost CI four minutes.
#
# Env (from the Makefile): O (the series' kernel build), OUT, T.
# Usage: kcsan-check.sh <items file> <selftests dir>
set -eu

items=$1
tests=$2
top=$(cd "$(dirname "$0")/.." && pwd)
sets=kunit,park_smoke,sriov_stress
run=$OUT/vm/kcsan

# Ten stress cycles, not the lockdep kernel's floor of fifty: KCSAN looks
# for racing accesses, not for a count, and a cycle costs more under it.
PRT_APPEND="${PRT_APPEND:+$PRT_APPEND }kcsan.early_enable=1 prt.stress_cycles=10" \
"$top/tools/run-suite.sh" "$O" "$run" "$tests" --sets "$sets" \
	--shared ${T:+--tests "$T"}
# The report's status, not that of a pipe's last command.
rc=0
REPORT_JSON=$OUT/kcsan.json "$top/tools/report.py" test "$run" \
	>"$OUT/kcsan-report.txt" || rc=$?
summary=$(tail -n 1 "$OUT/kcsan-report.txt")
if ! grep -q . "$run/boots"; then
	echo "ok kcsan: T=$T selects none of its tests" >"$items"
	exit 0
fi
off=$(for b in "$run"/*/console.log; do
	grep -q '^kcsan: enabled early' "$b" || basename "$(dirname "$b")"
done)
if [ -n "$off" ]; then
	echo "FAIL kcsan: KCSAN did not start in: $(echo "$off" | paste -sd " ")" >"$items"
	exit 1
elif [ "$rc" = 0 ]; then
	echo "ok kcsan: $sets: $summary, no KCSAN report" >"$items"
else
	echo "FAIL kcsan: $sets: $summary (see $OUT/kcsan-report.txt)" >"$items"
	exit 1
fi
