// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-pci smoke test on the kernel's VFIO selftest library: hand the test
 * VM's virtio-blk device with ATS to vfio-pci, open it in each type1 IOMMU
 * mode and reset it with VFIO_DEVICE_RESET (an FLR, so the IOMMU core's
 * reset preparation runs). Then give it back to its driver and read the disk.
 *
 * The device is the BDF given as the last argument or in $VFIO_SELFTESTS_BDF,
 * as for the kernel's VFIO selftests, else the first 1af4:1042. Without the
 * device, vfio-pci, the type1 container or an IOMMU group, every test SKIPs.
 */
#include "prt_vfio.h"

#define VFIO_PCI	"vfio-pci"

static const char *device_bdf;

FIXTURE(vfio) {
	struct prt_vfio_bind bind;	/* shared with the parent */
};

FIXTURE_VARIANT(vfio) {
	const char *iommu_mode;
};

/* The type1 container modes: the test kernel has no IOMMUFD. */
#define FIXTURE_VARIANT_ADD_IOMMU_MODE(_iommu_mode)	\
FIXTURE_VARIANT_ADD(vfio, _iommu_mode) {		\
	.iommu_mode = #_iommu_mode,			\
}

FIXTURE_VARIANT_ADD_IOMMU_MODE(vfio_type1_iommu);
FIXTURE_VARIANT_ADD_IOMMU_MODE(vfio_type1v2_iommu);

#undef FIXTURE_VARIANT_ADD_IOMMU_MODE

FIXTURE_SETUP(vfio)
{
	const char *why = prt_vfio_unusable(device_bdf, VFIO_PCI);

	if (why)
		SKIP(return, "%s", why);
	prt_vfio_bind(&self->bind, device_bdf, VFIO_PCI);
}

FIXTURE_TEARDOWN_PARENT(vfio)
{
	prt_vfio_unbind(_metadata, &self->bind, VFIO_PCI);
}

TEST_F(vfio, reset)
{
	struct vfio_pci_device *device;
	struct iommu *iommu;
	u32 class;

	ASSERT_EQ(0, self->bind.err)
		TH_LOG("%s %s: %s", self->bind.step, device_bdf, strerror(-self->bind.err));

	/* libvfio exits the test with KSFT_FAIL where it cannot go on. */
	iommu = iommu_init(variant->iommu_mode);
	device = vfio_pci_device_init(device_bdf, iommu);

	ASSERT_TRUE(device->info.flags & VFIO_DEVICE_FLAGS_PCI);
	ASSERT_TRUE(device->info.flags & VFIO_DEVICE_FLAGS_RESET)
		TH_LOG("device flags %#x", device->info.flags);
	/* Not virtualized by vfio-pci (unlike the IDs): read from the function. */
	class = vfio_pci_config_readl(device, PCI_CLASS_REVISION);
	ASSERT_NE(~0U, class);

	EXPECT_EQ(0, __vfio_pci_device_reset(device));
	/* The function answers config reads again after its reset. */
	EXPECT_EQ(class, vfio_pci_config_readl(device, PCI_CLASS_REVISION));

	vfio_pci_device_cleanup(device);
	iommu_cleanup(iommu);
}

int main(int argc, char *argv[])
{
	device_bdf = prt_vfio_pick_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
