#!/bin/sh
# Write each series that the series file names ("# series <name>", with
# "needs <name>[,<name>...]" for the series it applies on, in that order)
# to <out dir>/<name>/: its own
# cover letter (covers/<name>.txt next to the series file), its own
# recipients, the sender's identity. Then check each: checkpatch --strict,
# git am on the base (after the series it needs), a build of every patch
# whose tree the stack's bisect gate (make gates) does not build, and b4
# send --dry-run from a b4 prep branch.
# Writes "ok|FAIL <what>" lines to <items file>; exits 1 on a FAIL.
#
# Env (from the Makefile): SRC, BRANCH, BASE, OUT; PRT_NAME, PRT_EMAIL;
#        SUBMISSION_BUILD=0 skips the builds.
# Usage: submission.sh <series file> <out dir> <items file>
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
series=$(realpath "$1") items=$3
mkdir -p "$2"
out=$(realpath "$2")
covers=$(dirname "$series")/covers
wt=$OUT/build/submission-wt
scratch=$OUT/build/scratch
: >"$items"
say() { echo "$1 $2" >>"$items"; echo "$1 $2"; }

# The stack's commits, by patch number, and the trees the bisect gate builds.
stack=$(git -C "$SRC" rev-list --reverse "$BASE..$BRANCH")
stack_trees=$(for c in $stack; do git -C "$SRC" rev-parse "$c^{tree}"; done)
commit_of() { echo "$stack" | sed -n "$(echo "$1" | sed 's/^0*//')p"; }

[ -d "$wt" ] || git -C "$SRC" worktree add -q -f --detach "$wt" "$BASE"
trap 'git -C "$SRC" checkout -q -f "$BRANCH"' EXIT
export GIT_COMMITTER_NAME=pci-reset-locking GIT_COMMITTER_EMAIL=series@localhost

# "<name> <needs or -> <patch numbers...>", one series a line.
groups=$(awk '
	/^# series / { if (g != "") print g; g = $3 " " ($4 == "needs" ? $5 : "-"); next }
	/^#/ || /^$/ { next }
	{ g = g " " substr($0, 1, 4) }
	END { if (g != "") print g }' "$series")

# git am of a series directory on the base, after the series it needs.
applies() {
	git -C "$wt" checkout -q -f --detach "$BASE"
	for d in "$@"; do
		grep -q '^[^#]' "$d/series" || return 1
		for p in $(grep -v '^#' "$d/series"); do
			git -C "$wt" am -q "$d/$p" >/dev/null 2>&1 || {
				git -C "$wt" am --abort
				return 1
			}
		done
	done
}

echo "$groups" | while read -r name needs nums; do
	start=$BASE dir=$out/$name
	case $needs in
	-) ;;
	*,*)
		git -C "$wt" checkout -q -f -B "needs/$name" "$BASE"
		for n in $(echo "$needs" | tr , ' '); do
			git -C "$wt" cherry-pick "$BASE..sub/$n" >/dev/null
		done
		start=needs/$name
		;;
	*) start=sub/$needs ;;
	esac
	git -C "$wt" checkout -q -f -B "sub/$name" "$start"
	for n in $nums; do
		git -C "$wt" cherry-pick "$(commit_of "$n")" >/dev/null
	done
	git -C "$wt" config "branch.sub/$name.description" "$(cat "$covers/$name.txt")"
	rm -rf "$dir"
	SERIES_BASE=$BASE "$top/tools/export-series.sh" "$wt" "$start" "sub/$name" "$dir" >/dev/null
done

# The checks, once every series is written.
echo "$groups" | while read -r name needs nums; do
	dir=$out/$name
	if "$top/tools/check-identity.sh" "$dir" >/dev/null 2>&1; then
		say ok "$name: identity"
	else
		say FAIL "$name: identity (tools/check-identity.sh $dir)"
	fi
	for p in $(grep -v '^#' "$dir/series"); do
		found=$(cd "$wt" && perl scripts/checkpatch.pl --strict --quiet \
			--ignore UNKNOWN_COMMIT_ID "$dir/$p" 2>&1 || true)
		[ -z "$found" ] || { echo "$found"; say FAIL "$name: checkpatch: $p"; }
	done
	deps=
	[ "$needs" = - ] || for n in $(echo "$needs" | tr , ' '); do
		deps="$deps $out/$n"
	done
	# shellcheck disable=SC2086
	if ! applies $deps "$dir"; then
		say FAIL "$name: git am on $BASE${deps:+ after $needs}"
		continue
	fi
	say ok "$name: checkpatch, git am on $BASE${deps:+ after $needs}"
	for c in $(git -C "$wt" rev-list --reverse "HEAD~$(echo $nums | wc -w)..HEAD"); do
		subj=$(git -C "$wt" log -1 --format=%s "$c")
		if echo "$stack_trees" | grep -qx "$(git -C "$wt" rev-parse "$c^{tree}")"; then
			say ok "$name: bisect: the stack's tree: $subj"
		elif [ "${SUBMISSION_BUILD:-1}" = 0 ]; then
			say ok "$name: bisect: not built (SUBMISSION_BUILD=0): $subj"
		else
			# In the build worktree, as the bisect gate builds: the
			# same source path keeps the builds incremental.
			git -C "$SRC" checkout -q -f --detach "$c"
			if "$top/tools/build-kernel.sh" "$SRC" "$scratch" >"$OUT/submission-build.log" 2>&1; then
				say ok "$name: bisect: builds: $subj"
			else
				tail -n 20 "$OUT/submission-build.log"
				say FAIL "$name: bisect: does not build: $subj"
			fi
		fi
	done
done

# b4 sends from a prep branch: each series through b4 send, dry. A series
# of one patch has no cover letter there.
echo "$groups" | while read -r name needs nums; do
	# b4's own branch of the series it needs, or the one that holds the
	# series it needs (b4 keeps each cover letter in a commit of its own).
	case $needs in
	-) fork=$BASE ;;
	*,*) fork=needs/$name ;;
	*) fork=b4/$needs ;;
	esac
	n=$(echo $nums | wc -w)
	want=$((n > 1 ? n + 1 : 1))
	got=$("$top/tools/b4-dry-run.sh" "$wt" "$out/$name" "$covers/$name.txt" "$fork" 2>&1 | tail -n 1)
	if [ "$got" = "$want" ]; then
		say ok "$name: b4 send --dry-run: $got messages in $out/$name/b4"
	else
		say FAIL "$name: b4 send --dry-run: $got, want $want messages"
	fi
done

# The gate refuses a series that needs another one it does not declare.
sample=$OUT/submission-sample
rm -rf "$sample" && mkdir -p "$sample"
for p in $(grep -v '^#' "$top/tools/samples/series-missing-needs"); do
	cp "$out/$p" "$sample/"
	basename "$p" >>"$sample/series"
done
if applies "$sample"; then
	say FAIL "sample: a series without the one it needs applied"
else
	say ok "sample: a series without the one it needs does not apply"
fi

grep -q '^FAIL' "$items" && exit 1
echo "submission: $(echo "$groups" | wc -l) series in $out"
