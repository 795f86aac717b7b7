// SPDX-License-Identifier: GPL-2.0
/*
 * A hot reset of a dev_set that holds two migration devices: the two
 * functions of one slot (tools/vm/topology-devset.args), both bound to the
 * sample migration driver, in one IOMMU group.
 *
 * vfio-pci takes the memory_lock of every device of the dev_set for the
 * reset. All of them are in one lockdep class, so a migration reset that
 * runs while the memory_lock of another device is still held closes the
 * cycle of vfio_mig_cycle.c as well as one under the device's own lock:
 *
 *   state_mutex -> migration file lock -> mmap_lock -> memory_lock
 *   -> state_mutex (of the other device)
 */
#include "prt_mig.h"

FIXTURE(pair) {
	struct prt_vfio_bind bind[2];	/* shared with the parent */
	char bdf[2][16];
	struct vfio_pci_device *device[2];
	struct iommu *iommu;
	int kmsg;
};

static bool is_vblk(const char *bdf)
{
	return prt_dev_hex(bdf, "vendor") == PRT_ATS_VENDOR &&
	       prt_dev_hex(bdf, "device") == PRT_ATS_DEVICE;
}

/* Function 0 and 1 of a slot whose functions are both virtio-blk devices. */
static int find_pair(char bdf[2][16])
{
	struct dirent *de;
	int ret = -ENODEV;
	size_t n;
	DIR *d;

	d = opendir(PCI_DEVICES);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		n = strlen(de->d_name);
		if (n != 12 || strcmp(de->d_name + n - 2, ".0") || !is_vblk(de->d_name))
			continue;
		strcpy(bdf[0], de->d_name);
		strcpy(bdf[1], de->d_name);
		bdf[1][n - 1] = '1';
		if (prt_vfio_dev_has(bdf[1], "") && is_vblk(bdf[1])) {
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

FIXTURE_SETUP(pair)
{
	const char *why;
	int i;

	if (find_pair(self->bdf))
		SKIP(return, "no slot with two virtio-blk functions");
	for (i = 0; i < 2; i++) {
		why = prt_mig_unusable(self->bdf[i]);
		if (why)
			SKIP(return, "%s", why);
	}
	/* A group is viable only when all its devices are bound to vfio. */
	for (i = 0; i < 2; i++) {
		prt_vfio_bind(&self->bind[i], self->bdf[i], PRT_DRV_VFIO_MIG);
		ASSERT_EQ(0, self->bind[i].err)
			TH_LOG("%s %s: %s", self->bind[i].step, self->bdf[i],
			       strerror(-self->bind[i].err));
	}

	self->iommu = iommu_init("vfio_type1v2_iommu");
	self->device[0] = vfio_pci_device_init(self->bdf[0], self->iommu);
	/* The second device comes from the group that the first one opened. */
	self->device[1] = vfio_pci_device_alloc(self->bdf[1], self->iommu);
	self->device[1]->group_fd = self->device[0]->group_fd;
	__vfio_pci_group_get_device_fd(self->device[1], self->bdf[1], NULL);
	ASSERT_LE(0, self->device[1]->fd);

	ASSERT_EQ(0, prt_mig_zero_resets());
	self->kmsg = prt_kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN_PARENT(pair)
{
	int i;

	for (i = 1; i >= 0; i--)
		prt_vfio_unbind(_metadata, &self->bind[i], PRT_DRV_VFIO_MIG);
}

TEST_F(pair, hot_reset_after_bar_dma_map)
{
	long page = sysconf(_SC_PAGESIZE);
	struct dma_region region = {};
	struct vfio_pci_bar *bar;
	int data_fd, i;
	void *buf;

	bar = prt_mig_mapped_bar(self->device[0]);
	ASSERT_NE(NULL, bar) TH_LOG("no BAR of %s can be mapped", self->bdf[0]);

	ASSERT_EQ(0, prt_mig_set(self->device[1], VFIO_DEVICE_STATE_STOP_COPY, &data_fd));
	/* Not touched yet: the copy to it faults. */
	buf = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_LT(0, read(data_fd, buf, page));

	region.vaddr = bar->vaddr;
	region.size = bar->info.size;
	region.iova = iova_allocator_alloc(iova_allocator_init(self->iommu), region.size);
	iommu_map(self->iommu, &region);

	/* The group holds both devices: the user owns the whole dev_set. */
	ASSERT_EQ(0, prt_vfio_hot_reset(self->device[0]));
	EXPECT_EQ(0, prt_kmsg_warnings(self->kmsg)) TH_LOG("see the kernel log: lockdep");
	EXPECT_EQ(2, prt_mig_resets()) TH_LOG("one migration reset per device");
	for (i = 0; i < 2; i++)
		EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, prt_mig_state(self->device[i]));

	iommu_unmap(self->iommu, &region);
	close(data_fd);
	munmap(buf, page);
	close(self->device[1]->fd);
	vfio_pci_device_free(self->device[1]);
	vfio_pci_device_cleanup(self->device[0]);
	iommu_cleanup(self->iommu);
}

TEST_HARNESS_MAIN
