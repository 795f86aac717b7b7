#!/bin/sh
# Apply each mutant of tools/mutants/ on top of the series, build it, run
# the suite, and check that the suite catches it. Writes one
# "ok|FAIL mutant <name>: ..." line per mutant to <items file>.
#
# Env (from the Makefile): SRC (the build worktree), BRANCH, O (the
# series' kernel build), OUT, T, and
# VM_JOBS, the mutants booted at once (1).
# Usage: mutants.sh <items file> [mutant name...]
set -eu

items=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
scratch=$OUT/build/scratch
: >"$items"
say() { echo "$1 $2" >>"$items"; echo "$1 $2"; }

names=${*:-$(cd "$top/tools/mutants" && ls *.patch | sed 's/\.patch$//')}
trap 'git -C "$SRC" checkout -q -f "$BRANCH"' EXIT

# Does one of the test ids in $1 match a glob of T= (or is there no T=)?
selected() {
	[ -n "${T:-}" ] || return 0
	set -f
	for id in $1; do
		for g in $(echo "$T" | tr , ' '); do
			# shellcheck disable=SC2254
			case $id in $g) set +f; return 0 ;; esac
		done
	done
	set +f
	return 1
}

# A mutant that changes only .c files leaves the headers and the config
# as they are, so the test modules built once against the series load on
# its kernel: build them here, not once per mutant.
modules=$OUT/build/mutant-modules
rm -rf "$modules"
make -s -C "$O" M="$top" MO="$modules" modules
only_c() { ! grep '^+++ ' "$1" | grep -qv '\.c$'; }

# Build each mutant and prepare its boots: only those that hold a test
# which must catch it.
built=
for m in $names; do
	must=$(sed -n 's/^Caught-by: //p' "$top/tools/mutants/$m.patch")
	selected "$must" || continue
	git -C "$SRC" checkout -q -f --detach "$BRANCH"
	if ! git -C "$SRC" apply "$top/tools/mutants/$m.patch"; then
		say FAIL "mutant $m: does not apply to $BRANCH"
		continue
	fi
	if ! "$top/tools/build-kernel.sh" "$SRC" "$scratch" >"$OUT/mutant-$m.log" 2>&1; then
		say FAIL "mutant $m: does not build (see $OUT/mutant-$m.log)"
		continue
	fi
	# Builds are reproducible: the series' own image means the mutation
	# was not built in, and whatever the boots show proves nothing.
	if cmp -s "$scratch/arch/x86/boot/bzImage" "$O/arch/x86/boot/bzImage"; then
		say FAIL "mutant $m: its kernel is the series' kernel, byte for byte"
		continue
	fi
	tests=$(echo "$must" | grep -vx splat | paste -sd, -)
	reuse=
	! only_c "$top/tools/mutants/$m.patch" || reuse=$modules
	if PRT_MODULES=$reuse SUITE_STEP=prepare "$top/tools/run-suite.sh" "$scratch" \
		"$OUT/vm/mutant-$m" "$OUT/selftests" ${tests:+--tests "$tests"} \
		>>"$OUT/mutant-$m.log" 2>&1; then
		built="$built $m"
	else
		say FAIL "mutant $m: its boots could not be prepared (see $OUT/mutant-$m.log)"
	fi
done

# Then boot them, VM_JOBS mutants at a time, with no build beside the
# guests: each lane takes the next mutant that no other lane has claimed.
claims=$OUT/vm/.claims-mutants
rm -rf "$claims"
mkdir -p "$claims"
boot_lane() {
	for m in $built; do
		mkdir "$claims/$m" 2>/dev/null || continue
		SUITE_STEP=boot VM_JOBS=1 "$top/tools/run-suite.sh" "$scratch" \
			"$OUT/vm/mutant-$m" "$OUT/selftests" >>"$OUT/mutant-$m.log" 2>&1 || true
	done
}
lane=1
while [ "$lane" -lt "${VM_JOBS:-1}" ]; do
	boot_lane &
	lane=$((lane + 1))
done
boot_lane
wait
rm -rf "$claims"

for m in $built; do
	must=$(sed -n 's/^Caught-by: //p' "$top/tools/mutants/$m.patch")
	# shellcheck disable=SC2086
	if "$top/tools/report.py" caught "$OUT/vm/mutant-$m" $must; then
		say ok "mutant $m: caught by $(echo $must)"
	else
		say FAIL "mutant $m: missed by $(echo $must)"
	fi
done
[ -s "$items" ] || say ok "mutants: T=$T selects none of their tests"
caught=$(grep -c '^ok' "$items" || true)
missed=$(grep -c '^FAIL' "$items" || true)
echo "mutants: $caught caught, $missed missed"
[ "$missed" = 0 ]
