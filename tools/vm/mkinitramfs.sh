#!/bin/sh
# Pack busybox, the guest init, the test modules (*.ko), the index of
# declared test ids (a file named "index") and the test programs into a
# gzip'ed initramfs, with the kernel's gen_init_cpio.
#
# Usage: mkinitramfs.sh <kernel build dir> <output> <file>...
set -eu

kbuild=$1
out=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
# busybox-static's binary: the initramfs has no libc.
busybox=${BUSYBOX:-/bin/busybox}

{
	for d in /bin /dev /proc /sys /tests /lib /lib/modules; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /bin/busybox $busybox 0755 0 0"
	# The applets' links, made here: busybox --install in the guest took
	# half a second of every boot under TCG.
	"$busybox" --list | grep -vx busybox | while read -r applet; do
		echo "slink /bin/$applet busybox 0777 0 0"
	done
	echo "file /init $here/init 0755 0 0"
	for f; do
		case $f in
		*.ko) echo "file /lib/modules/$(basename "$f") $(realpath "$f") 0644 0 0" ;;
		*/index) echo "file /index $(realpath "$f") 0644 0 0" ;;
		*) echo "file /tests/$(basename "$f") $(realpath "$f") 0755 0 0" ;;
		esac
	done
} >"$out.list"
"$kbuild/usr/gen_init_cpio" "$out.list" | gzip -1 >"$out"
rm -f "$out.list"
