#!/bin/sh
# A series to send must not carry the repo's placeholder identity, nor an
# address that no one reads (RFC 2606 names, localhost), in any From: or
# Signed-off-by: line: the maintainer would apply a sign-off that certifies
# nothing.
#
# Usage: check-identity.sh <patches dir>
set -eu

dir=$1
bad=$(awk '
	function judge(l) {
		if (l ~ /^(From|Signed-off-by): / &&
		    (l ~ /Pci Reset Locking/ ||
		     l ~ /@([^>]*\.)?(example(\.(com|net|org))?|invalid|localhost)>/))
			print FILENAME ": " l
	}
	FNR == 1 { hdr = 1; cur = "" }
	# git folds a long From: header over two lines.
	hdr && /^[ \t]/ { cur = cur $0; next }
	hdr { judge(cur); cur = $0; hdr = $0 != ""; next }
	{ judge($0) }' "$dir"/*.patch)
if [ -n "$bad" ]; then
	echo "$bad"
	echo "submission: placeholder or unreachable identity in $dir;" \
	     "set PRT_NAME and PRT_EMAIL (or git config user.name, user.email) to yours" >&2
	exit 1
fi
echo "submission: $dir carries no placeholder identity"
