#!/bin/sh
# Make the series base: Linux 7.3.4 as shipped in Debian's linux-source-7.3,
# unpacked into a git repo with one commit tagged v7.3.4.
#
# Usage: get-tree.sh <cache dir>
# Env:   LINUX_SOURCE_PKG, LINUX_SOURCE_VERSION, LINUX_SOURCE_SUITE, BASE_TAG
set -eu

cache=$1
pkg=${LINUX_SOURCE_PKG:-linux-source-7.3}
ver=${LINUX_SOURCE_VERSION:-7.3.4-1~bpo13+1}
suite=${LINUX_SOURCE_SUITE:-trixie-backports}
tag=${BASE_TAG:-v7.3.4}
tree=$cache/linux
apt=$cache/apt

if git -C "$tree" rev-parse -q --verify "refs/tags/$tag" >/dev/null 2>&1; then
	echo "tree: $tree at $tag (cached)"
	exit 0
fi

mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/deb"
# Take the mirror from the system's own Debian source; never edit the
# system's apt configuration, only point apt at a private list.
uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
[ -n "$uri" ] || uri=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
key=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$key] $uri $suite main" >"$apt/sources.list"
aptopts="-o Dir::Etc::sourcelist=$apt/sources.list -o Dir::Etc::sourceparts=-
	-o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache
	-o APT::Sandbox::User=root"

deb=$(ls "$apt"/deb/"${pkg}_"*.deb 2>/dev/null | head -n1 || true)
case "$deb" in
*"_$(echo "$ver" | sed 's/:/%3a/')_"*) ;;
*)
	rm -f "$apt"/deb/*.deb
	# shellcheck disable=SC2086
	apt-get -qq $aptopts update
	# shellcheck disable=SC2086
	if ! (cd "$apt/deb" && apt-get -qq $aptopts download "$pkg=$ver"); then
		echo "get-tree: $suite no longer serves $pkg $ver." >&2
		echo "get-tree: set LINUX_SOURCE_VERSION (and LINUX_SOURCE_SUITE) to one" \
		     "it serves ('apt-cache policy $pkg' with the same list)," >&2
		echo "get-tree: or point KSRC= at your own kernel git tree." >&2
		exit 1
	fi
	deb=$(ls "$apt"/deb/"${pkg}_"*.deb)
	;;
esac

rm -rf "$tree" "$cache/unpack"
mkdir -p "$cache/unpack"
dpkg-deb --fsys-tarfile "$deb" |
	tar -x -C "$cache/unpack" --wildcards '*/linux-source-*.tar.xz' '*/changelog.Debian.gz'
# The archive is in blocks that xz unpacks on every core at once.
xz -T0 -dc "$cache"/unpack/usr/src/linux-source-*.tar.xz | tar -x -C "$cache/unpack"
mv "$cache"/unpack/linux-source-*/ "$tree"
# The package's date, from its changelog entry: with it the base commit
# has the same id on every machine, which the cover letter's base-commit:
# names.
date=$(zcat "$cache"/unpack/usr/share/doc/*/changelog.Debian.gz |
	sed -n '/^ -- /{s/^ -- .*>  //p;q;}')
[ -n "$date" ] || { echo "get-tree: no date in the changelog of $deb" >&2; exit 1; }
rm -rf "$cache/unpack"

kver=$(make -s -C "$tree" kernelversion)
[ "v$kver" = "$tag" ] || {
	echo "get-tree: $deb holds $kver, expected $tag (set BASE_TAG)" >&2
	exit 1
}

# Debian appends '/*' to the top-level .gitignore for its packaging; it
# would hide the whole tree from git, so drop those lines in the base.
sed -i '/^# Debian packaging/,$d; /^\/\*$/d; /^!\/debian\/$/d' "$tree/.gitignore"
cd "$tree"
git init -q --object-format=sha1
git add -A -f
GIT_AUTHOR_NAME=base GIT_AUTHOR_EMAIL=base@localhost GIT_AUTHOR_DATE=$date \
GIT_COMMITTER_NAME=base GIT_COMMITTER_EMAIL=base@localhost GIT_COMMITTER_DATE=$date \
	git -c commit.gpgSign=false commit -q -m "Linux $kver ($pkg $ver)"
git tag "$tag"
# The tree has no upstream history, so checkpatch cannot look up the
# commits that Fixes: tags name; say so instead of warning on each.
printf '%s\n' '# no upstream history in this tree' '--ignore UNKNOWN_COMMIT_ID' \
	>"$tree/.git/checkpatch.conf"
cp "$tree/.git/checkpatch.conf" "$tree/.checkpatch.conf"
echo "tree: $tree at $tag"
