#!/bin/sh
# The gates must reject tools/samples/bad-series: a patch with style errors
# that does not build on its own, and one that adds sparse and W=1 warnings.
#
# Env (from the Makefile): KSRC, SRC, BASE, OUT, O_BASE.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
export SERIES=tools/samples/bad-series BRANCH=prt-bad-sample
"$top/tools/apply-series.sh" "$KSRC" "$BASE" "$BRANCH" "$SRC" "$SERIES"

items=$OUT/gates-selftest.txt
if "$top/tools/gates.sh" "$items" >"$OUT/gates-selftest.log" 2>&1; then
	echo "FAIL gates accepted the bad sample series"
	exit 1
fi
rc=0
for gate in checkpatch bisect sparse+W=1; do
	line=$(grep "^FAIL $gate:" "$items" | head -n1)
	if [ -n "$line" ]; then
		echo "ok $gate rejects the bad sample: ${line#FAIL }"
	else
		echo "FAIL $gate accepted the bad sample"
		rc=1
	fi
done
exit $rc
