#!/bin/sh
# Boot a kernel in the test VM under TCG and wait for it to power off.
# The console goes to <dir>/console.log, test results to <dir>/results.log.
# A guest still running after VM_TIMEOUT seconds is killed.
#
# Usage: run.sh <bzImage> <initramfs> <dir>
set -eu

kernel=$1
initrd=$2
dir=$3
timeout=${VM_TIMEOUT:-900}

mkdir -p "$dir"
rm -f "$dir/console.log" "$dir/results.log" "$dir/vm-status"
truncate -s 4M "$dir/vblk.img" "$dir/nvme.img"

set +e
timeout -k 10 "$timeout" qemu-system-x86_64 -accel tcg -smp 2 -m 1G -M q35 \
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
	-append "console=ttyS0 intel_iommu=on panic=-1 ignore_loglevel ${VM_APPEND:-}"
rc=$?
set -e

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "killed after ${timeout}s" >"$dir/vm-status"
	echo "run-vm: guest still running after ${timeout}s, killed" >&2
else
	echo "exit $rc" >"$dir/vm-status"
fi
