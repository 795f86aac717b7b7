#!/bin/sh
# Write the branch back to a patches directory: git format-patch output,
# the cover letter from the branch description, and the series file.
# The patches carry an identity in place of the commits' placeholder,
# the recipients from the tree's MAINTAINERS and the base commit.
#
# Usage: export-series.sh <worktree> <base> <branch> <patches dir>
# Env:   PRT_NAME, PRT_EMAIL (default: git config user.name, user.email;
#        without those, the placeholder); SERIES_BASE, the base-commit when
#        <base> is the tip of another series (default: <base>)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
wt=$(realpath "$1") base=$2 branch=$3
mkdir -p "$4"
pdir=$(realpath "$4")
PH_NAME="Pci Reset Locking" PH_EMAIL=pci-reset-locking@example.org

cd "$wt"
ID_NAME=${PRT_NAME:-$(git config user.name || echo "$PH_NAME")}
ID_EMAIL=${PRT_EMAIL:-$(git config user.email || echo "$PH_EMAIL")}
# As git writes it in From: and in commit -s (it trims trailing dots).
ID=$(GIT_COMMITTER_NAME=$ID_NAME GIT_COMMITTER_EMAIL=$ID_EMAIL \
	git var GIT_COMMITTER_IDENT | sed 's/> [^>]*$/>/')
ID_NAME=${ID% <*} PH="$PH_NAME <$PH_EMAIL>"
export PH PH_NAME ID ID_NAME

n=$(git rev-list --count "$base..$branch")
# git makes the cover letter's Subject of the description's whole first
# paragraph, which apply-series.sh reads back from the folded header.
first=$(git config "branch.$branch.description" | sed '/^$/,$d')
if [ "$n" -gt 0 ] && { [ "$(echo "$first" | wc -l)" -gt 1 ] || [ ${#first} -gt 75 ]; }; then
	echo "export: the first paragraph of $branch's description is the cover" \
	     "letter's subject: make it one line of at most 75 characters" \
	     "(git branch --edit-description $branch)" >&2
	exit 1
fi

rm -f "$pdir"/*.patch
if [ "$n" -gt 0 ]; then
	rcpt=$("$top/tools/recipients.sh" "$wt" "$base" "$branch")
	set --
	while IFS= read -r h; do
		case $h in
		To:\ *) set -- "$@" --to="${h#To: }" ;;
		Cc:\ *) set -- "$@" --cc="${h#Cc: }" ;;
		esac
	done <<-EOF
	$rcpt
	EOF
	# Every patch gets the recipients: git send-email sends each file
	# to its own To:/Cc:, and reviewers need the whole series.
	# --from without a value takes the committer, i.e. the identity,
	# and git encodes the header.
	GIT_COMMITTER_NAME=$ID_NAME GIT_COMMITTER_EMAIL=$ID_EMAIL \
	git format-patch -q --cover-letter --cover-from-description=subject \
		--zero-commit --no-signature --base="${SERIES_BASE:-$base}" --from "$@" \
		-o "$pdir" "$base..$branch"
fi
# The placeholder gives way to the identity: its in-body From: (which
# --from adds for other authors, who keep it), its Signed-off-by and its
# shortlog line in the cover letter.
for p in "$pdir"/*.patch; do
	[ -f "$p" ] || continue
	awk '
		hdr == 0 && /^$/ { hdr = 1; print; next }
		hdr == 1 && $0 == "From: " ENVIRON["PH"] { hdr = 2; next }
		hdr == 2 && /^$/ { hdr = 3; next }
		hdr != 0 { hdr = 3 }
		$0 == "Signed-off-by: " ENVIRON["PH"] {
			$0 = "Signed-off-by: " ENVIRON["ID"]
		}
		index($0, ENVIRON["PH_NAME"] " (") == 1 && /^[^ ].* \([0-9]+\):$/ {
			$0 = ENVIRON["ID_NAME"] substr($0, length(ENVIRON["PH_NAME"]) + 1)
		}
		{ print }' "$p" >"$p.tmp"
	mv "$p.tmp" "$p"
done
# The "# ..." lines of the series file (the groups of make submission)
# stay before the patch number that follows each of them.
(cd "$pdir" && ls | grep -E '^[0-9]{4}-.*\.patch$' | grep -v '^0000-' || true) |
awk -v old="$pdir/series" '
	BEGIN { while ((getline l <old) > 0)
			if (l ~ /^#/) c = c l "\n"; else if (c != "") { note[substr(l, 1, 4)] = c; c = "" } }
	{ k = substr($0, 1, 4); if (k in note) printf "%s", note[k]; print }' >"$pdir/series.new"
mv "$pdir/series.new" "$pdir/series"
echo "export: $n patches to $pdir as $ID"
[ "$n" -eq 0 ] || "$top/tools/check-cover.sh" "$pdir/0000-cover-letter.patch"
