#!/bin/sh
# Boot a kernel in the test VM under TCG and wait for it to power off.
# The console goes to <dir>/console.log, test results to <dir>/results.log.
# A guest still running after VM_TIMEOUT seconds, or VM_GRACE seconds after
# it reported its tests done, is killed; <dir>/vm-status says which. So is
# one whose /init has not begun after VM_BOOT_TIMEOUT seconds: no test ran.
# VM_END_ON names the kernel reports that end a boot before its tests do:
# the report is the proof the boot was for, and what it left behind would
# only wait out the timeouts. Its words are report.py's kinds: hung_task
# (vm-status "killed: hung task <comm>:<pid>"), from the report's first
# line; lockdep ("killed: lockdep report"), warn ("killed: warning") and
# bug ("killed: oops"), once the report is whole. The guest is killed
# VM_HUNG_GRACE seconds later, which leaves the rest time to reach the
# console.
#
# The devices are those of tools/vm/topology.args, or with TOPOLOGY=<name>
# of tools/vm/topology-<name>.args, whose "kernel <param>" lines go on the
# kernel command line and whose "include <file>" lines take the lines of
# another file of tools/vm; <dir>/topology.args is the result. QEMU
# answers QMP on <dir>/qmp.sock (tools/vm/qmp.py cmd <dir>/qmp.sock ...),
# and the guest's third serial port, /dev/ttyS2, is a channel to qmp.py's
# broker, which unplugs and replugs devices on request; its log is
# <dir>/host.log.
# HOTPLUG=native boots with pciehp driving the root ports, HOTPLUG=acpi
# (the default, q35's own) with acpiphp; the guest sees prt.hotplug=<mode>.
# VM_APPEND is added to the kernel command line.
#
# QEMU runs in <dir> and names the files there relatively: a unix socket
# path is limited to 108 bytes, and a run directory's absolute path may be
# longer. <dir>/qemu.cmdline is a shell line that reruns the boot.
#
# Usage: run.sh <bzImage> <initramfs> <dir>
set -eu

here=$(cd "$(dirname "$0")" && pwd)
kernel=$(realpath "$1")
initrd=$(realpath "$2")
dir=$3
timeout=${VM_TIMEOUT:-600}
boot_timeout=${VM_BOOT_TIMEOUT:-120}
grace=${VM_GRACE:-5}
hung_grace=${VM_HUNG_GRACE:-2}
ends=${VM_END_ON:-}
hotplug=${HOTPLUG:-acpi}
case ${TOPOLOGY:-default} in
default) topology=$here/topology.args ;;
*) topology=$here/topology-$TOPOLOGY.args ;;
esac
[ -f "$topology" ] || { echo "run-vm: no $topology" >&2; exit 2; }

case $hotplug in
native | acpi) ;;
*) echo "run-vm: HOTPLUG=$hotplug: want native or acpi" >&2; exit 2 ;;
esac

mkdir -p "$dir"
dir=$(realpath "$dir")
cd "$dir"
rm -f console.log results.log vm-status qemu.cmdline host.log qmp.sock host.sock

expand_topology() {
	while read -r opt arg; do
		case $opt in
		include) expand_topology "$here/$arg" ;;
		*) printf '%s %s\n' "$opt" "$arg" ;;
		esac
	done <"$1"
}
# One file for QEMU's options and for the broker, which re-adds devices.
expand_topology "$topology" >topology.args.new
mv topology.args.new topology.args
topology=$dir/topology.args
sed -n 's/^-blockdev .*filename=\([^/,][^,]*\).*/\1/p' "$topology" |
while read -r img; do
	truncate -s 4M "$img"
done

set -- qemu-system-x86_64 -accel tcg -smp 2 -m 1G -M q35 \
	-nodefaults -no-reboot -display none -monitor none \
	-qmp unix:qmp.sock,server=on,wait=off \
	-chardev socket,id=host,path=host.sock,server=on,wait=off
# q35 hot-plugs through ACPI unless told otherwise; then pciehp does.
if [ "$hotplug" = native ]; then
	set -- "$@" -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off
fi
params=
while read -r opt arg; do
	case $opt in
	'' | '#'*) ;;
	kernel) params="$params $arg" ;;
	*) set -- "$@" "$opt" "$arg" ;;
	esac
done <"$topology"
set -- "$@" \
	-serial file:console.log -serial file:results.log -serial chardev:host \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 intel_iommu=on panic=-1 ignore_loglevel prt.hotplug=$hotplug$params ${VM_APPEND:-}"

# Each argument in single quotes when the shell would otherwise split it.
shquote() {
	case $1 in
	*[!A-Za-z0-9_.,:=/@+-]*) printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")" ;;
	*) printf %s "$1" ;;
	esac
}
# A line that reruns this boot by hand.
line="cd $(shquote "$dir") &&"
for a; do
	line="$line $(shquote "$a")"
done
echo "$line" >qemu.cmdline
echo "run-vm: $dir (QEMU command line in qemu.cmdline)"

"$@" &
qemu=$!
# It connects as soon as QEMU has made the sockets, and ends when QEMU
# closes the channel.
python3 "$here/qmp.py" broker qmp.sock host.sock "$topology" 2>host.log &
broker=$!

# Is process $1 gone within $2 tenths of a second?
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		[ $i -lt "$2" ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# The first whole report of a VM_END_ON kind on the console: a lockdep
# report ends with the stack of its "stack backtrace:", a warning or an oops
# with its trace's end. The patterns are tools/report.py's.
splat_end() {
	awk -v want=",$ends," '
	function seen(k) { if (!kind && index(want, "," k ",")) kind = k }
	/WARNING: (possible circular locking|possible recursive locking|inconsistent lock state|possible irq lock inversion|[^ ]+-safe -> [^ ]+-unsafe lock order|Nested lock was not taken|bad unlock balance|held lock freed|[^ ]+ still has locks held|lock held when returning|suspicious RCU usage)|INFO: (possible|inconsistent) .*lock/ {
		seen("lockdep"); next
	}
	/BUG: |kernel BUG at|Oops: |general protection fault/ { seen("bug"); next }
	/WARNING: / { seen("warn"); next }
	kind == "lockdep" && /stack backtrace:/ { stack = 1; next }
	kind == "lockdep" && stack && /<\/TASK>/ { print "lockdep report"; exit }
	kind == "warn" && /---\[ end trace/ { print "warning"; exit }
	kind == "bug" && /---\[ end trace/ { print "oops"; exit }
	' console.log 2>/dev/null || true
}

start=$(date +%s)
inited=
done_at=
hung_at=
splat=
splat_at=
status=
while kill -0 "$qemu" 2>/dev/null; do
	now=$(date +%s)
	if [ -z "$inited" ] && grep -q '^PRT-KERNEL' results.log 2>/dev/null; then
		inited=$now
	fi
	if [ -z "$done_at" ] && grep -q '^PRT-DONE' results.log 2>/dev/null; then
		done_at=$now
	fi
	case ",$ends," in
	*,hung_task,*)
		if [ -z "$hung_at" ]; then
			hung=$(sed -n 's/.*INFO: task \([^ ]*\) blocked.* for more than.*/\1/p' \
				console.log 2>/dev/null | head -n 1)
			[ -z "$hung" ] || hung_at=$now
		fi
		;;
	esac
	if [ -n "$ends" ] && [ -z "$splat_at" ]; then
		splat=$(splat_end)
		[ -z "$splat" ] || splat_at=$now
	fi
	if [ -n "$hung_at" ] && [ $((now - hung_at)) -ge "$hung_grace" ]; then
		status="killed: hung task $hung"
	elif [ -n "$splat_at" ] && [ $((now - splat_at)) -ge "$hung_grace" ]; then
		status="killed: $splat"
	elif [ -n "$done_at" ] && [ $((now - done_at)) -ge "$grace" ]; then
		status="killed: no power off ${grace}s after the tests"
	elif [ -z "$inited" ] && [ $((now - start)) -ge "$boot_timeout" ]; then
		status="killed: no /init after ${boot_timeout}s"
	elif [ $((now - start)) -ge "$timeout" ]; then
		status="killed: still running after ${timeout}s"
	fi
	if [ -n "$status" ]; then
		kill "$qemu"
		wait_gone "$qemu" 20 || kill -9 "$qemu" 2>/dev/null || true
		echo "run-vm: $status" >&2
		break
	fi
	# Often enough that a boot's end costs no more than the boot.
	sleep 0.2
done
rc=0
wait "$qemu" || rc=$?
echo "${status:-exit $rc}" >vm-status
# The broker ends on the channel's EOF; one that never got the channel
# (QEMU failed early) would wait out its connect timeout.
wait_gone "$broker" 20 || kill "$broker" 2>/dev/null || true
wait "$broker" 2>/dev/null || true
