#!/bin/sh
# Apply each mutant of tools/mutants/ on top of the series, build it, run
# the suite, and check that the suite catches it. Writes one
# "ok|FAIL mutant <name>: ..." line per mutant to <items file>.
#
# Env (from the Makefile): SRC (the build worktree), SRC_CROSS (a second
# worktree, made when missing), BRANCH, O (the series' kernel build), OUT,
# T, and VM_JOBS, the mutants booted at once (1). MUTANTS_LANE is for the
# script's own use.
# Usage: mutants.sh <items file> [mutant name...]
set -eu

items=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
scratch=$OUT/build/scratch
say() { echo "$1 $2" >>"$items"; echo "$1 $2"; }

names=${*:-$(cd "$top/tools/mutants" && ls *.patch | sed 's/\.patch$//')}
modules=$OUT/build/mutant-modules
claims=$OUT/vm/.claims-mutants

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

only_c() { ! grep '^+++ ' "$1" | grep -qv '\.c$'; }

# Build each mutant not yet claimed into the build directory $1, and
# prepare its boots: only those that hold a test which must catch it.
# "$claims/<name>.built" marks those that are ready to boot.
build_lane() {
	for m in $names; do
		must=$(sed -n 's/^Caught-by: //p' "$top/tools/mutants/$m.patch")
		selected "$must" || continue
		mkdir "$claims/$m" 2>/dev/null || continue
		git -C "$SRC" checkout -q -f --detach "$BRANCH"
		if ! git -C "$SRC" apply "$top/tools/mutants/$m.patch"; then
			say FAIL "mutant $m: does not apply to $BRANCH"
			continue
		fi
		if ! "$top/tools/build-kernel.sh" "$SRC" "$1" >"$OUT/mutant-$m.log" 2>&1; then
			say FAIL "mutant $m: does not build (see $OUT/mutant-$m.log)"
			continue
		fi
		# Builds are reproducible: the series' own image means the
		# mutation was not built in, and whatever the boots show
		# proves nothing.
		if cmp -s "$1/arch/x86/boot/bzImage" "$O/arch/x86/boot/bzImage"; then
			say FAIL "mutant $m: its kernel is the series' kernel, byte for byte"
			continue
		fi
		tests=$(echo "$must" | grep -vx splat | paste -sd, -)
		reuse=
		! only_c "$top/tools/mutants/$m.patch" || reuse=$modules
		if PRT_MODULES=$reuse SUITE_STEP=prepare "$top/tools/run-suite.sh" "$1" \
			"$OUT/vm/mutant-$m" "$OUT/selftests" ${tests:+--tests "$tests"} \
			>>"$OUT/mutant-$m.log" 2>&1; then
			: >"$claims/$m.built"
		else
			say FAIL "mutant $m: its boots could not be prepared (see $OUT/mutant-$m.log)"
		fi
	done
}

# The second build lane, in the mount namespace made below.
if [ -n "${MUTANTS_LANE:-}" ]; then
	trap 'git -C "$SRC" checkout -q -f --detach "$BRANCH"' EXIT
	build_lane "$MUTANTS_LANE"
	exit 0
fi

: >"$items"
trap 'git -C "$SRC" checkout -q -f "$BRANCH"' EXIT
rm -rf "$claims"
mkdir -p "$claims"
# A mutant that changes only .c files leaves the headers and the config
# as they are, so the test modules built once against the series load on
# its kernel: build them here, not once per mutant.
rm -rf "$modules"
make -s -C "$O" M="$top" MO="$modules" modules

# Two lanes build the mutants. A build mostly compiles one file and links,
# with a core idle. The second lane builds in SRC_CROSS, shown at SRC's
# path in a mount namespace of its own, so that kbuild and ccache see the
# paths they saw in SRC, into a copy of the series' build whose files are
# all dated after the sources. Without a mount namespace (unshare -m needs
# root) one lane builds them all.
cross_src=${SRC_CROSS:-$SRC-cross}
scratch2=$OUT/build/scratch-cross
# shellcheck disable=SC2016
in_cross() { unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
	sh "$cross_src" "$SRC" "$@"; }
lane2=''
if [ "$(echo "$names" | wc -w)" -gt 1 ]; then
	git -C "$SRC" worktree prune
	[ -d "$cross_src" ] || git -C "$SRC" worktree add -q --detach "$cross_src" "$BRANCH"
	if in_cross true 2>/dev/null; then
		git -C "$cross_src" checkout -q -f --detach "$BRANCH"
		rm -rf "$scratch2"
		cp -a "$O" "$scratch2"
		# One date, a second after the checkout: older than any
		# later write.
		sleep 1
		find "$scratch2" -exec touch -h -d "@$(date +%s)" {} +
		# shellcheck disable=SC2086
		MUTANTS_LANE=$scratch2 in_cross "$top/tools/mutants.sh" "$items" $names &
		lane2=$!
	fi
fi
build_lane "$scratch"
[ -z "$lane2" ] || wait "$lane2" || true
built=''
for m in $names; do
	if [ -f "$claims/$m.built" ]; then
		built="$built $m"
	elif [ -d "$claims/$m" ] && ! grep -q "^FAIL mutant $m:" "$items"; then
		say FAIL "mutant $m: its build lane stopped (see $OUT/mutant-$m.log)"
	fi
done
rm -rf "$claims"
mkdir -p "$claims"

# Then boot them, VM_JOBS mutants at a time, with no build beside the
# guests: each lane takes the next mutant that no other lane has claimed.
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
