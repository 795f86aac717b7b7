#!/bin/sh
# The cover letter's subject must be whole: git format-patch
# --cover-from-description=subject makes it of the description's whole
# first paragraph, folded, and a reader that takes only the Subject: line
# keeps a fragment. Prints one "ok|FAIL cover-subject: ..." line.
#
# Usage: check-cover.sh <cover-letter.patch>
set -eu

cover=$1
fail() { echo "FAIL cover-subject: $1"; exit 1; }

[ -f "$cover" ] || fail "$cover: no such file"
# The Subject: header with its continuation lines (RFC 2822 folding),
# without the "[PATCH n/m] " prefix.
subj=$(awk '
	/^$/ { exit }
	insubj && /^[ \t]/ { sub(/^[ \t]+/, " "); s = s $0; next }
	{ insubj = 0 }
	/^Subject: / { sub(/^Subject: (\[[^]]*\] )?/, ""); s = $0; insubj = 1 }
	END { print s }' "$cover")
len=$(printf '%s' "$subj" | awk '{ n += length($0) } END { print n + 0 }')
last=$(printf '%s\n' "$subj" | awk '{ print tolower($NF) }')

case $subj in
'' | '*** SUBJECT HERE ***')
	fail "no subject: \"$subj\"" ;;
*[!A-Za-z0-9\)\"])
	fail "ends mid-phrase (\"${subj#"${subj%?}"}\"): \"$subj\"" ;;
esac
case $last in
a | an | and | as | at | but | by | for | from | in | into | of | on | or | \
the | to | via | vs | while | with | without)
	fail "ends mid-phrase (\"$last\"): \"$subj\"" ;;
esac
[ "$len" -le 75 ] || fail "$len characters, more than 75: \"$subj\""
echo "ok cover-subject: $subj"
