// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, in the guest: VFIO_DEVICE_RESET of the virtio-blk device,
 * bound to vfio-pci and then to the sample migration driver, whose resets
 * also reset its migration state. Prints "bench <name> <value>" lines that
 * tools/bench.sh compares between kernels. Not a test; no set runs it.
 */
#include "prt_mig.h"

#define PRT_RESET_ROUNDS	20

/* The fastest of PRT_RESET_ROUNDS resets, in microseconds; -1 on error. */
static int reset_us(const char *bdf, const char *vfio_driver)
{
	struct vfio_pci_device *device;
	struct prt_vfio_bind bind = {};
	double best = 1e9, t;
	struct iommu *iommu;
	int i, ret = 0;

	prt_vfio_bind(&bind, bdf, vfio_driver);
	if (bind.err)
		return -1;
	iommu = iommu_init("vfio_type1v2_iommu");
	device = vfio_pci_device_init(bdf, iommu);
	for (i = 0; i < PRT_RESET_ROUNDS && !ret; i++) {
		t = prt_now();
		ret = ioctl(device->fd, VFIO_DEVICE_RESET);
		t = prt_now() - t;
		if (t < best)
			best = t;
	}
	vfio_pci_device_cleanup(device);
	iommu_cleanup(iommu);
	return ret ? -1 : best * 1e6;
}

TEST(vfio_reset)
{
	const char *bdf = prt_vfio_pick_bdf(&(int){ 0 }, NULL);

	if (prt_vfio_unusable(bdf, "vfio-pci") || prt_mig_unusable(bdf))
		SKIP(return, "no device, vfio-pci or sample driver");
	printf("bench vfio_reset_us %d\n", reset_us(bdf, "vfio-pci"));
	printf("bench vfio_mig_reset_us %d\n", reset_us(bdf, PRT_DRV_VFIO_MIG));
	/* The harness ends the test process with _exit(). */
	fflush(stdout);
}

TEST_HARNESS_MAIN
