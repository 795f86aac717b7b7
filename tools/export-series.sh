#!/bin/sh
# Write the branch back to patches/: git format-patch output, the cover
# letter from the branch description, and the series file.
#
# Usage: export-series.sh <worktree> <base> <branch> <patches dir>
set -eu

wt=$(realpath "$1") base=$2 branch=$3 pdir=$(realpath "$4")

cd "$wt"
rm -f "$pdir"/*.patch
n=$(git rev-list --count "$base..$branch")
if [ "$n" -gt 0 ]; then
	git format-patch -q --cover-letter --cover-from-description=subject \
		--zero-commit --no-signature -o "$pdir" "$base..$branch"
fi
(cd "$pdir" && ls | grep -E '^[0-9]{4}-.*\.patch$' | grep -v '^0000-' || true) >"$pdir/series"
echo "export: $n patches to $pdir"
