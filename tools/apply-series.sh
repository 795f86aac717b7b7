#!/bin/sh
# Put the series on a branch made from the base and check it out in the
# build worktree. The branch description gets the cover letter, so
# export-series.sh can write it back.
#
# Usage: apply-series.sh <kernel git tree> <base> <branch> <worktree> <patches dir>
set -eu

ksrc=$(realpath "$1") base=$2 branch=$3 wt=$(realpath -m "$4") pdir=$(realpath "$5")
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-pci-reset-locking}"
export GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-series@localhost}"

patches=$(grep -v '^#' "$pdir/series" 2>/dev/null | grep . || true)
sum=$(cd "$pdir" && { echo "$base"; for p in $patches; do cat "$p"; done; } | sha256sum)

git -C "$ksrc" worktree prune
if [ ! -d "$wt" ]; then
	git -C "$ksrc" worktree add -q --detach "$wt" "$base"
fi
cd "$wt"
conf=$(git rev-parse --git-common-dir)/checkpatch.conf
[ ! -f "$conf" ] || cp "$conf" .checkpatch.conf
if ! git diff --quiet HEAD; then
	echo "apply: $wt has uncommitted changes; commit or stash them" >&2
	exit 1
fi
if [ "$(git config "branch.$branch.prt-series" || true)" = "$sum" ]; then
	git checkout -q "$branch"
	echo "apply: $branch is up to date ($(echo "$patches" | grep -c . || true) patches)"
	exit 0
fi

git am --abort 2>/dev/null || true
git checkout -q -B "$branch" "$base"
# One git am: each one refreshes the index of the whole tree first.
# shellcheck disable=SC2046
if ! git am -q $(for p in $patches; do echo "$pdir/$p"; done); then
	n=$(git rev-list --count "$base..HEAD")
	git am --abort
	p=$(echo "$patches" | sed -n "$((n + 1))p")
	echo "apply: $(basename "$pdir")/$p does not apply to $base; stopped there" >&2
	exit 1
fi
n=$(git rev-list --count "$base..HEAD")

cover="$pdir/0000-cover-letter.patch"
if [ -f "$cover" ]; then
	# Subject, blank line, body up to the "Author (N):" shortlog. git
	# folds a long Subject: over lines; read it whole.
	desc=$(awk '
		hdr == 0 && insubj && /^[ \t]/ { sub(/^[ \t]+/, " "); subj = subj $0; next }
		hdr == 0 { insubj = 0 }
		hdr == 0 && /^Subject: / { sub(/^Subject: (\[[^]]*\] )?/, ""); subj = $0; insubj = 1; next }
		hdr == 0 && /^$/ { hdr = 1; print subj; print ""; next }
		hdr == 1 && /^[^ ].* \([0-9]+\):$/ { exit }
		hdr == 1 { print }' "$cover")
	git config "branch.$branch.description" "$desc"
fi
git config "branch.$branch.prt-series" "$sum"
echo "apply: $n patches on $branch in $wt"
