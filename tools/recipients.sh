#!/bin/sh
# The series' recipients by the tree's MAINTAINERS, as the header lines
# git send-email reads, one address a line: "To:" for maintainers, "Cc:"
# for reviewers and lists, as linux-pci submitters address a series.
#
# Usage: recipients.sh <worktree> <base> <branch>
set -eu

wt=$1 base=$2 branch=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

git -C "$wt" format-patch -q -o "$tmp" "$base..$branch"
[ -n "$(ls "$tmp")" ] || exit 0
cd "$wt"
# The tree has no upstream history: no recent signers to add, and the
# authors of the commits that Fixes: tags name cannot be looked up.
# Keywords match words in changelogs, not the files a patch touches.
gm() {
	perl scripts/get_maintainer.pl --no-git --no-git-fallback --no-fixes --no-keywords \
		--no-rolestats "$@" "$tmp"/*.patch
}
{
	gm --m --no-r --no-l | sed 's/^/To: /'
	gm --no-m --r --no-l | sed 's/^/Cc: /'
	gm --no-m --no-r --l | sed 's/^/Cc: /'
} | awk '{ a = $0; sub(/^[^:]*: /, "", a) } !seen[a]++'
