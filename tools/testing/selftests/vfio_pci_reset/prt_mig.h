/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test VM's virtio-blk device, bound to the sample migration driver
 * (drivers/vfio/pci/mig_sample) and opened through a type1 container, and
 * the reset paths of vfio-pci that the tests take.
 */
#ifndef PRT_MIG_H
#define PRT_MIG_H

#include "prt_vfio.h"

#include <sys/mman.h>

struct prt_mig {
	struct prt_vfio_bind bind;	/* shared with the parent */
	struct vfio_pci_device *device;
	struct iommu *iommu;
	int kmsg;
};

/* How a test resets the device. */
enum prt_reset_path {
	PRT_RESET_IOCTL,	/* VFIO_DEVICE_RESET */
	PRT_RESET_HOT,		/* VFIO_DEVICE_PCI_HOT_RESET */
	PRT_RESET_DEVCTL_FLR,	/* a guest's FLR through Device Control */
};

/* Migration-state resets the sample driver did, or -errno. */
static inline int prt_mig_resets(void)
{
	char buf[32];
	int ret;

	ret = prt_read(PRT_VFIO_MIG_DEBUGFS "/" PRT_VFIO_MIG_RESETS, buf, sizeof(buf));
	return ret ?: atoi(buf);
}

static inline int prt_mig_zero_resets(void)
{
	return prt_write(PRT_VFIO_MIG_DEBUGFS "/" PRT_VFIO_MIG_RESETS, "0");
}

/* Why the tests cannot run here (they SKIP), or NULL. */
static inline const char *prt_mig_unusable(const char *bdf)
{
	if (access(PRT_VFIO_MIG_DEBUGFS, F_OK))
		return "sample migration driver " PRT_DRV_VFIO_MIG " not loaded";
	if (access(PRT_DEBUGFS_DIR, F_OK))
		return "hooks module not loaded";
	return prt_vfio_unusable(bdf, PRT_DRV_VFIO_MIG);
}

/* Bind the device to the sample driver and open it, in the test process. */
static inline void prt_mig_open(struct __test_metadata *_metadata,
				struct prt_mig *m, const char *bdf)
{
	prt_vfio_bind(&m->bind, bdf, PRT_DRV_VFIO_MIG);
	ASSERT_EQ(0, m->bind.err)
		TH_LOG("%s %s: %s", m->bind.step, bdf, strerror(-m->bind.err));

	/* libvfio exits the test with KSFT_FAIL where it cannot go on. */
	m->iommu = iommu_init("vfio_type1v2_iommu");
	m->device = vfio_pci_device_init(bdf, m->iommu);
	ASSERT_EQ(0, prt_ctl("target", bdf));
	/* Opening the device reset it. */
	ASSERT_EQ(0, prt_mig_zero_resets());
	m->kmsg = prt_kmsg_open();
	ASSERT_LE(0, m->kmsg);
}

/* In the parent: fault sites off, the device back to its driver. */
static inline void prt_mig_close(struct __test_metadata *_metadata, struct prt_mig *m)
{
	prt_fail_disarm(PRT_FAIL_FLR_WAIT);
	prt_fail_disarm(PRT_FAIL_BUS_WAIT);
	EXPECT_EQ(0, prt_dev_write(m->bind.bdf, "reset_method", "default"));
	prt_vfio_unbind(_metadata, &m->bind, PRT_DRV_VFIO_MIG);
}

/* The largest BAR that libvfio mapped and type1 can map for DMA, or NULL. */
static inline struct vfio_pci_bar *prt_mig_mapped_bar(struct vfio_pci_device *device)
{
	struct vfio_pci_bar *bar, *largest = NULL;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		bar = &device->bars[i];
		if (bar->vaddr && (bar->info.flags & VFIO_REGION_INFO_FLAG_WRITE) &&
		    (!largest || bar->info.size > largest->info.size))
			largest = bar;
	}
	return largest;
}

static inline int prt_mig_reset(struct prt_mig *m, enum prt_reset_path path)
{
	switch (path) {
	case PRT_RESET_IOCTL:
		return ioctl(m->device->fd, VFIO_DEVICE_RESET) ? -errno : 0;
	case PRT_RESET_HOT:
		return prt_vfio_hot_reset(m->device);
	case PRT_RESET_DEVCTL_FLR:
		return prt_vfio_devctl_flr(m->device);
	}
	return -EINVAL;
}

/*
 * The variants of a fixture that resets through each path of vfio-pci, and a
 * reachable failure of that path after which the device may be reset all the
 * same: it was, but did not answer in time.
 */
#define PRT_MIG_RESET_VARIANTS(fixture)					\
FIXTURE_VARIANT(fixture) {						\
	enum prt_reset_path path;					\
	/* pinned, so that the reset does not go on to another method */	\
	const char *reset_method;					\
	const char *fail_site;						\
	int fail_errno;							\
};									\
FIXTURE_VARIANT_ADD(fixture, ioctl) {					\
	.path = PRT_RESET_IOCTL,					\
	.reset_method = "flr",						\
	.fail_site = PRT_FAIL_FLR_WAIT, .fail_errno = ENOTTY,		\
};									\
FIXTURE_VARIANT_ADD(fixture, hot_reset) {				\
	.path = PRT_RESET_HOT,						\
	.fail_site = PRT_FAIL_BUS_WAIT, .fail_errno = ENOTTY,		\
};									\
FIXTURE_VARIANT_ADD(fixture, devctl_flr) {				\
	.path = PRT_RESET_DEVCTL_FLR,					\
	.reset_method = "flr",						\
	.fail_site = PRT_FAIL_FLR_WAIT, .fail_errno = ENOTTY,		\
}

#endif /* PRT_MIG_H */
