#!/bin/sh
# Run one semantic patch of this directory in report mode over a path of a
# kernel tree; print one "file:line:col: message" per finding.
#
# Usage: run.sh <rule name> <kernel tree> <path in the tree>
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$2"
spatch --very-quiet --no-show-diff -D report --no-includes --include-headers \
	--jobs "$(nproc)" --sp-file "$here/$1.cocci" --dir "$3" 2>/dev/null |
	grep -E '^[^ ]+:[0-9]+:[0-9]+-?[0-9]*: ' | sort -u
