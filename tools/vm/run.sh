#!/bin/sh
# Boot a kernel in the test VM under TCG and wait for it to power off.
# The console goes to <dir>/console.log, test results to <dir>/results.log.
# A guest still running after VM_TIMEOUT seconds, or VM_GRACE seconds after
# it reported its tests done, is killed; <dir>/vm-status says which.
#
# Usage: run.sh <bzImage> <initramfs> <dir>
set -eu

kernel=$1
initrd=$2
dir=$3
timeout=${VM_TIMEOUT:-600}
grace=${VM_GRACE:-30}

mkdir -p "$dir"
rm -f "$dir/console.log" "$dir/results.log" "$dir/vm-status"
truncate -s 4M "$dir/vblk.img" "$dir/nvme.img"

qemu-system-x86_64 -accel tcg -smp 2 -m 1G -M q35 \
	-nodefaults -no-reboot -display none -monitor none \
	-device intel-iommu,intremap=on,caching-mode=on,device-iotlb=on \
	-device pcie-root-port,id=rp1,chassis=1 \
	-device nvme-subsys,id=subsys0,nqn=prt-subsys \
	-device nvme,id=nvme0,serial=prt-nvme,bus=rp1,subsys=subsys0,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=4,msix_qsize=8,max_ioqpairs=12 \
	-drive file="$dir/nvme.img",if=none,id=nvm,format=raw \
	-device nvme-ns,drive=nvm,bus=nvme0,nsid=1 \
	-device pcie-root-port,id=rp2,chassis=2,x-speed=5 \
	-drive file="$dir/vblk.img",if=none,id=vblk,format=raw \
	-device virtio-blk-pci,drive=vblk,bus=rp2,ats=on,iommu_platform=on,disable-legacy=on \
	-serial file:"$dir/console.log" -serial file:"$dir/results.log" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 intel_iommu=on panic=-1 ignore_loglevel ${VM_APPEND:-}" &
qemu=$!

start=$(date +%s)
done_at=
status=
while kill -0 "$qemu" 2>/dev/null; do
	now=$(date +%s)
	if [ -z "$done_at" ] && grep -q '^PRT-DONE' "$dir/results.log" 2>/dev/null; then
		done_at=$now
	fi
	if [ -n "$done_at" ] && [ $((now - done_at)) -ge "$grace" ]; then
		status="killed: no power off ${grace}s after the tests"
	elif [ $((now - start)) -ge "$timeout" ]; then
		status="killed: still running after ${timeout}s"
	fi
	if [ -n "$status" ]; then
		kill "$qemu"
		sleep 2
		kill -9 "$qemu" 2>/dev/null || true
		echo "run-vm: $status" >&2
		break
	fi
	sleep 1
done
rc=0
wait "$qemu" || rc=$?
echo "${status:-exit $rc}" >"$dir/vm-status"
