#!/bin/sh
# Send one series of make submission with b4, dry: b4 sends from a prep
# branch, not from .patch files. So git am the series (which carries the
# sender's identity) on a b4/<name> branch, enroll it with b4 prep, give it
# the series' cover letter and b4's own To/Cc, and let b4 send write the
# messages to <series dir>/b4/ instead of sending them. Prints the number
# of messages.
#
# Env: PRT_NAME, PRT_EMAIL (the identity of the patches), BASE.
# Usage: b4-dry-run.sh <worktree> <series dir> <cover text> [<fork point>]
set -eu

wt=$1 dir=$(realpath "$2") cover=$(realpath "$3") fork=${4:-$BASE}
name=$(basename "$dir")

# b4 and the git it runs read the sender from git config; no SMTP server is
# contacted by a dry run, but without one b4 wants its web endpoint.
export GIT_CONFIG_COUNT=3 \
	GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="$PRT_NAME" \
	GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1="$PRT_EMAIL" \
	GIT_CONFIG_KEY_2=sendemail.smtpserver GIT_CONFIG_VALUE_2=localhost
cd "$wt"
git checkout -q -f -B "b4/$name" "$fork"
for p in $(grep -v '^#' "$dir/series"); do
	git am -q "$dir/$p"
done
b4 -q prep -e "$fork" >/dev/null
# b4 opens the cover letter in $EDITOR: this one writes the series' own.
EDITOR="cp $cover" b4 -q prep --edit-cover >/dev/null
b4 -q prep -c >/dev/null
rm -rf "$dir/b4"
b4 -q send --no-sign -o "$dir/b4" >/dev/null
ls "$dir/b4" | wc -l
