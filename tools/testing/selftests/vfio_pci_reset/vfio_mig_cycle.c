// SPDX-License-Identifier: GPL-2.0
/*
 * The lock cycle of a migration driver that resets its migration state in
 * reset_done(), which vfio-pci calls with memory_lock held for write:
 *
 *   state_mutex -> migration file lock   entering STOP_COPY
 *   migration file lock -> mmap_lock     reading the data into user memory
 *   mmap_lock -> memory_lock             a DMA map of a BAR mapping faults it in
 *   memory_lock -> state_mutex           a reset, then reset_done()
 *
 * The test takes each edge in that order, with the reset through one of
 * vfio-pci's paths, and fails on a kernel warning: lockdep's report of the
 * cycle. A plain page fault on the BAR mapping would not do for the third
 * edge: it is handled under the VMA lock. The type1 pinning of a BAR range
 * faults it in under mmap_lock.
 */
#include "prt_mig.h"

static const char *device_bdf;

FIXTURE(cycle) {
	struct prt_mig m;
};

PRT_MIG_RESET_VARIANTS(cycle);

FIXTURE_SETUP(cycle)
{
	const char *why = prt_mig_unusable(device_bdf);

	if (why)
		SKIP(return, "%s", why);
	prt_mig_open(_metadata, &self->m, device_bdf);
}

FIXTURE_TEARDOWN_PARENT(cycle)
{
	prt_mig_close(_metadata, &self->m);
}

TEST_F(cycle, reset_after_bar_dma_map)
{
	struct vfio_pci_device *device = self->m.device;
	long page = sysconf(_SC_PAGESIZE);
	struct dma_region region = {};
	struct vfio_pci_bar *bar;
	int data_fd;
	void *buf;

	bar = prt_mig_mapped_bar(device);
	ASSERT_NE(NULL, bar) TH_LOG("no BAR of %s can be mapped", device_bdf);

	ASSERT_EQ(0, prt_mig_set(device, VFIO_DEVICE_STATE_STOP_COPY, &data_fd));
	/* Not touched yet: the copy to it faults. */
	buf = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_LT(0, read(data_fd, buf, page));

	region.vaddr = bar->vaddr;
	region.size = bar->info.size;
	region.iova = iova_allocator_alloc(iova_allocator_init(self->m.iommu), region.size);
	iommu_map(self->m.iommu, &region);

	ASSERT_EQ(0, prt_mig_reset(&self->m, variant->path));
	EXPECT_EQ(0, prt_kmsg_warnings(self->m.kmsg)) TH_LOG("see the kernel log: lockdep");
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, prt_mig_state(device));
	EXPECT_EQ(1, prt_mig_resets());

	iommu_unmap(self->m.iommu, &region);
	close(data_fd);
	munmap(buf, page);
}

int main(int argc, char *argv[])
{
	device_bdf = prt_vfio_pick_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
