#!/bin/sh
# The golden tests of tools/report.py pass, and fail on a copy of tools/
# broken on purpose by tools/samples/report-mutant.patch: they have teeth.
# Prints one "ok|FAIL <check>" line per check, as the gates do; the test
# output of a wrong outcome goes to stderr. Exits 1 if a check fails.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0

if python3 "$top/tools/report_test.py" >"$tmp/golden.log" 2>&1; then
	echo "ok report-selftest: golden tests pass"
else
	cat "$tmp/golden.log" >&2
	echo "FAIL report-selftest: golden tests fail"
	rc=1
fi

cp -R "$top/tools" "$tmp/tools"
if ! (cd "$tmp" && git apply -p1 "$top/tools/samples/report-mutant.patch"); then
	echo "FAIL report-selftest: tools/samples/report-mutant.patch does not apply"
	exit 1
fi
if REPORT_PY="$tmp/tools/report.py" python3 "$top/tools/report_test.py" \
	>"$tmp/mutant.log" 2>&1; then
	echo "FAIL report-selftest: golden tests accept tools/samples/report-mutant.patch"
	rc=1
else
	echo "ok report-selftest: golden tests reject tools/samples/report-mutant.patch"
fi
exit $rc
