#!/bin/sh
# The patched kernel under KCSAN, with the sets whose tasks race without
# being parked: one "ok|FAIL kcsan: ..." line to <items file>. Any test
# that fails, and any KCSAN report or other splat in a boot, fails it.
# sriov_locks is left out: it parks one side of each race, so its accesses
# do not overlap, and its ten boots would cost CI four minutes.
#
# Env (from the Makefile): SRC (at the series), OUT.
# Usage: kcsan-check.sh <items file> <selftests dir>
set -eu

items=$1
tests=$2
top=$(cd "$(dirname "$0")/.." && pwd)
sets=kunit,park_smoke,sriov_stress

if ! "$top/tools/build-kernel.sh" "$SRC" "$OUT/build/kcsan" \
	"$top/tools/kconfig/kcsan.config" >"$OUT/kcsan-build.log" 2>&1; then
	echo "FAIL kcsan: the KCSAN kernel does not build (see $OUT/kcsan-build.log)" >"$items"
	exit 1
fi
# Ten stress cycles, not the lockdep kernel's floor of fifty: KCSAN looks
# for racing accesses, not for a count, and a cycle costs more under it.
PRT_APPEND="${PRT_APPEND:+$PRT_APPEND }prt.stress_cycles=10" \
"$top/tools/run-suite.sh" "$OUT/build/kcsan" "$OUT/vm/kcsan" "$tests" --sets "$sets" \
	--shared ${T:+--tests "$T"}
# The report's status, not that of a pipe's last command.
rc=0
REPORT_JSON=$OUT/kcsan.json "$top/tools/report.py" test "$OUT/vm/kcsan" \
	>"$OUT/kcsan-report.txt" || rc=$?
summary=$(tail -n 1 "$OUT/kcsan-report.txt")
if [ "$rc" = 0 ]; then
	echo "ok kcsan: $sets: $summary, no KCSAN report" >"$items"
else
	echo "FAIL kcsan: $sets: $summary (see $OUT/kcsan-report.txt)" >"$items"
	exit 1
fi
