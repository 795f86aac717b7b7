#!/bin/sh
# Static gates on the series. Writes one "ok|FAIL <gate>: <detail>" line
# per check to <items file> and the findings to stdout; exits 1 if any
# gate fails.
#
# Env (from the Makefile): SRC, BASE, BRANCH, SERIES, O_BASE, OUT, and
# PATCHED_SRC, the worktree holding BRANCH (default $SRC/patched).
# Usage: gates.sh <items file>
set -eu

items=$1
top=$(cd "$(dirname "$0")/.." && pwd)
: >"$items"
say() { echo "$1 $2" >>"$items"; echo "$1 $2"; }

patched=${PATCHED_SRC:-$SRC/patched}
scratch=$SRC/scratch
patches=$(grep -v '^#' "$SERIES/series" | grep . || true)
commits=$(git -C "$patched" rev-list --reverse "$BASE..$BRANCH")

# 1. checkpatch --strict on every patch. The base tree carries no upstream
# history, so commit ids in Fixes: tags cannot be looked up here.
for p in $patches; do
	out=$(cd "$patched" && perl scripts/checkpatch.pl --strict --quiet \
		--ignore UNKNOWN_COMMIT_ID "$top/$SERIES/$p" 2>&1 || true)
	if [ -z "$out" ]; then
		say ok "checkpatch: $p"
	else
		echo "$out"
		say FAIL "checkpatch: $p: $(echo "$out" | grep -cE '^(ERROR|WARNING|CHECK)') findings"
	fi
done

# 2. Every patch builds on top of the previous ones (bisectability).
git -C "$patched" worktree prune
[ -d "$scratch" ] || git -C "$patched" worktree add -q --detach "$scratch" "$BASE"
n=0
for c in $commits; do
	n=$((n + 1))
	git -C "$scratch" checkout -q --detach "$c"
	subj=$(git -C "$scratch" log -1 --format=%s)
	if "$top/tools/build-kernel.sh" "$scratch" "$OUT/build/scratch" >"$OUT/bisect-$n.log" 2>&1; then
		say ok "bisect: patch $n builds: $subj"
	else
		tail -n 20 "$OUT/bisect-$n.log"
		say FAIL "bisect: patch $n does not build: $subj (see $OUT/bisect-$n.log)"
	fi
done

# 3. sparse (C=2) and W=1 warnings in the touched files, base vs patched.
warnings() {
	# Line numbers move between trees; compare the messages.
	make -s -C "$1" O="$2" C=2 W=1 "$3" 2>&1 >/dev/null |
		grep -E 'warning|error' | sed -E 's/:[0-9]+(:[0-9]+)?:/:/' | sort
}
for f in $(git -C "$patched" diff --name-only "$BASE..$BRANCH" -- '*.c'); do
	obj=${f%.c}.o
	warnings "$SRC/base" "$O_BASE" "$obj" >"$OUT/warn-base.txt"
	# The bisect gate left the scratch build at the tip of the series.
	warnings "$scratch" "$OUT/build/scratch" "$obj" >"$OUT/warn-patched.txt"
	new=$(comm -13 "$OUT/warn-base.txt" "$OUT/warn-patched.txt")
	if [ -z "$new" ]; then
		say ok "sparse+W=1: $f: no new warnings ($(wc -l <"$OUT/warn-base.txt") on base)"
	else
		echo "$new"
		say FAIL "sparse+W=1: $f: $(echo "$new" | wc -l) new warnings"
	fi
done

# 4. No reset result ignored in drivers/pci.
cocci() { "$top/tools/coccinelle/run.sh" ignored_reset_result "$1" drivers/pci | wc -l; }
nb=$(cocci "$SRC/base")
np=$(cocci "$patched")
if [ "$nb" -ge 5 ] && [ "$np" -eq 0 ]; then
	say ok "coccinelle: ignored reset results in drivers/pci: base $nb, patched $np"
else
	"$top/tools/coccinelle/run.sh" ignored_reset_result "$patched" drivers/pci
	say FAIL "coccinelle: ignored reset results in drivers/pci: base $nb (want >= 5), patched $np (want 0)"
fi

! grep -q '^FAIL' "$items"
