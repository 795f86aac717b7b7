// SPDX-License-Identifier: GPL-2.0
/*
 * What a reset of a migration-capable vfio-pci device does to its migration
 * state, through each reset path: the sample migration driver counts the
 * resets of its migration state (drivers/vfio/pci/mig_sample).
 *
 * A reset ends the data transfer and leaves the device RUNNING, once. So does
 * a reset that failed after the device was reset, and the caller hears of the
 * failure (a guest's FLR through a config write too). A reset
 * that vfio-pci did not start (sysfs) still resets the migration state.
 * Closing the device resets it without touching migration: the driver's
 * close_device() does that. A reset while another task holds the driver's
 * state_mutex has ended the data transfer when it returns, and resets the
 * migration state once. A driver without the op is refused. Also: the
 * MSI-X table after a reset of a device whose memory decoding the user turned
 * off, and bad input.
 */
#include <pthread.h>
#include <time.h>

#include "prt_mig.h"

static const char *device_bdf;

FIXTURE(mig) {
	struct prt_mig m;
};

PRT_MIG_RESET_VARIANTS(mig);

FIXTURE_SETUP(mig)
{
	const char *why = prt_mig_unusable(device_bdf);

	if (why)
		SKIP(return, "%s", why);
	prt_mig_open(_metadata, &self->m, device_bdf);
}

FIXTURE_TEARDOWN_PARENT(mig)
{
	prt_mig_close(_metadata, &self->m);
}

TEST_F(mig, reset_ends_migration)
{
	struct vfio_pci_device *device = self->m.device;
	int data_fd;
	char byte;

	ASSERT_EQ(0, prt_mig_set(device, VFIO_DEVICE_STATE_STOP_COPY, &data_fd));
	ASSERT_EQ(0, prt_mig_reset(&self->m, variant->path));

	EXPECT_EQ(1, prt_mig_resets());
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, prt_mig_state(device));
	EXPECT_EQ(-1, read(data_fd, &byte, 1));
	EXPECT_EQ(ENODEV, errno) TH_LOG("the data transfer outlived the reset");
	close(data_fd);
	EXPECT_EQ(0, prt_kmsg_warnings(self->m.kmsg));
}

/*
 * A reset that failed after the device was reset, as one that did not come
 * back in time: the caller hears of the failure, and the migration state is
 * reset all the same, as for any reset that the PCI core attempted.
 */
TEST_F(mig, failed_reset_ends_migration)
{
	struct vfio_pci_device *device = self->m.device;
	int data_fd;
	char byte;

	if (variant->reset_method)
		ASSERT_EQ(0, prt_dev_write(device_bdf, "reset_method", variant->reset_method));
	ASSERT_EQ(0, prt_mig_set(device, VFIO_DEVICE_STATE_STOP_COPY, &data_fd));
	PRT_FAIL_ARM(variant->fail_site, variant->fail_errno, 1);

	EXPECT_EQ(-variant->fail_errno, prt_mig_reset(&self->m, variant->path))
		TH_LOG("the failed reset was reported as done");
	EXPECT_EQ(0, prt_fail_left(variant->fail_site)) TH_LOG("no failure injected");
	EXPECT_EQ(1, prt_mig_resets()) TH_LOG("migration state kept across a reset");
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, prt_mig_state(device));
	EXPECT_EQ(-1, read(data_fd, &byte, 1));
	EXPECT_EQ(ENODEV, errno) TH_LOG("the data transfer outlived the reset");
	close(data_fd);
	EXPECT_EQ(0, prt_kmsg_warnings(self->m.kmsg));
}

/*
 * A reset while another task holds the driver's state_mutex, as a migration
 * driver's firmware command does. Without the op, mlx5, virtio and xe only try
 * state_mutex in reset_done() and leave the reset to the holder (the sample
 * driver's defer_reset): the reset returns with the data transfer still open,
 * and the migration state is reset when the holder unlocks. With the op,
 * vfio-pci waits for state_mutex once memory_lock is released, so the data
 * transfer has ended when the reset returns. Either way it is reset once.
 */
FIXTURE(held) {
	struct prt_mig m;
};

PRT_MIG_RESET_VARIANTS(held);

FIXTURE_SETUP(held)
{
	const char *why = prt_mig_unusable(device_bdf);

	if (why)
		SKIP(return, "%s", why);
	/* Only a driver built without the op has the deferral. */
	if (!access(PRT_VFIO_MIG_DEFER, F_OK))
		ASSERT_EQ(0, prt_write(PRT_VFIO_MIG_DEFER, "Y"));
	prt_mig_open(_metadata, &self->m, device_bdf);
}

FIXTURE_TEARDOWN_PARENT(held)
{
	/* A holder the test left behind ends with the test's process. */
	EXPECT_EQ(0, prt_write(PRT_VFIO_MIG_DEBUGFS "/" PRT_VFIO_MIG_HOLDERS, "0"));
	if (!access(PRT_VFIO_MIG_DEFER, F_OK))
		EXPECT_EQ(0, prt_write(PRT_VFIO_MIG_DEFER, "N"));
	prt_mig_close(_metadata, &self->m);
}

static int mig_holders(void)
{
	char buf[32];
	int ret;

	ret = prt_read(PRT_VFIO_MIG_DEBUGFS "/" PRT_VFIO_MIG_HOLDERS, buf, sizeof(buf));
	return ret ?: atoi(buf);
}

static void *get_state_holding_mutex(void *device)
{
	return (void *)(long)prt_mig_state(device);
}

TEST_F(held, reset_ends_migration_before_it_returns)
{
	struct vfio_pci_device *device = self->m.device;
	struct timespec start, end;
	pthread_t holder;
	void *state;
	int data_fd, i;
	char byte;

	ASSERT_EQ(0, prt_mig_set(device, VFIO_DEVICE_STATE_STOP_COPY, &data_fd));
	/* Outlasts a reset on a slow guest, under the hung-task timeout (10 s). */
	ASSERT_EQ(0, prt_write(PRT_VFIO_MIG_HOLD_MS, "4000"));
	ASSERT_EQ(0, pthread_create(&holder, NULL, get_state_holding_mutex, device));
	for (i = 0; i < 500 && mig_holders() != 1; i++)
		usleep(10000);
	ASSERT_EQ(1, mig_holders()) TH_LOG("the GET of the state did not hold state_mutex");

	clock_gettime(CLOCK_MONOTONIC, &start);
	ASSERT_EQ(0, prt_mig_reset(&self->m, variant->path));
	clock_gettime(CLOCK_MONOTONIC, &end);
	/* A figure, not a verdict: the op waits for the holder, the deferral not. */
	ksft_print_msg("reset returned after %ld ms\n",
		       (end.tv_sec - start.tv_sec) * 1000 +
		       (end.tv_nsec - start.tv_nsec) / 1000000);
	EXPECT_EQ(-1, read(data_fd, &byte, 1))
		TH_LOG("the data transfer outlived the reset, left to the state_mutex holder");
	EXPECT_EQ(ENODEV, errno);

	ASSERT_EQ(0, prt_write(PRT_VFIO_MIG_DEBUGFS "/" PRT_VFIO_MIG_HOLDERS, "0"));
	ASSERT_EQ(0, pthread_join(holder, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_STOP_COPY, (long)state);
	EXPECT_EQ(1, prt_mig_resets()) TH_LOG("the reset was lost or done twice");
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, prt_mig_state(device));
	close(data_fd);
	EXPECT_EQ(0, prt_kmsg_warnings(self->m.kmsg));
}

/* The same device, for what does not depend on the reset path. */
FIXTURE(dev) {
	struct prt_mig m;
};

FIXTURE_SETUP(dev)
{
	const char *why = prt_mig_unusable(device_bdf);

	if (why)
		SKIP(return, "%s", why);
	prt_mig_open(_metadata, &self->m, device_bdf);
}

FIXTURE_TEARDOWN_PARENT(dev)
{
	prt_mig_close(_metadata, &self->m);
}

/* A reset that vfio-pci did not start: reset_done() does the work. */
TEST_F(dev, sysfs_reset_ends_migration)
{
	struct vfio_pci_device *device = self->m.device;
	int data_fd;
	char byte;

	ASSERT_EQ(0, prt_mig_set(device, VFIO_DEVICE_STATE_STOP_COPY, &data_fd));
	ASSERT_EQ(0, prt_dev_write(device_bdf, "reset", "1"));

	EXPECT_EQ(1, prt_mig_resets());
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, prt_mig_state(device));
	EXPECT_EQ(-1, read(data_fd, &byte, 1));
	EXPECT_EQ(ENODEV, errno);
	close(data_fd);
	EXPECT_EQ(0, prt_kmsg_warnings(self->m.kmsg));
}

/* Close ends migration in the driver; the reset at close calls no reset_done(). */
TEST_F(dev, close_leaves_migration_alone)
{
	ASSERT_EQ(0, prt_mig_set(self->m.device, VFIO_DEVICE_STATE_STOP, NULL));
	vfio_pci_device_cleanup(self->m.device);
	EXPECT_EQ(0, prt_mig_resets());
	iommu_cleanup(self->m.iommu);
	EXPECT_EQ(0, prt_kmsg_warnings(self->m.kmsg));
}

/* The host's view of entry 0 of the device's MSI-X table, as a line. */
static int msix_entry(char *buf, size_t size)
{
	int ret = prt_read(PRT_DEBUGFS_DIR "/msix_table", buf, size);

	if (!ret)
		buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

/*
 * The MSI-X restore after a reset writes the table through the BAR, so it
 * needs memory decoding, which the user turned off (as QEMU does before a
 * reset). The restore must turn it on around the writes.
 */
TEST_F(dev, msix_restored_with_memory_off)
{
	struct vfio_pci_device *device = self->m.device;
	char before[128], after[128];
	unsigned int entry, hi, lo, data, ctrl;

	vfio_pci_msix_enable(device, 0, 1);
	ASSERT_EQ(0, msix_entry(before, sizeof(before)));
	ASSERT_EQ(5, sscanf(before, "%u %x %x %x %x", &entry, &hi, &lo, &data, &ctrl));
	ASSERT_NE(0, lo) TH_LOG("entry 0 not programmed: %s", before);
	ASSERT_EQ(0, ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);

	vfio_pci_cmd_clear(device, PCI_COMMAND_MEMORY);
	ASSERT_EQ(0, __vfio_pci_device_reset(device));

	ASSERT_EQ(0, msix_entry(after, sizeof(after)));
	EXPECT_STREQ(before, after) TH_LOG("MSI-X table not restored");
	vfio_pci_msix_disable(device);
	EXPECT_EQ(0, prt_kmsg_warnings(self->m.kmsg));
}

/*
 * The migration file of a device that was closed and unbound, a reset of
 * the unbound device: errors, no splat, nothing reset twice.
 */
TEST_F(dev, migration_file_after_unbind)
{
	char path[PATH_MAX], byte;
	int data_fd;

	ASSERT_EQ(0, prt_mig_set(self->m.device, VFIO_DEVICE_STATE_STOP_COPY, &data_fd));
	vfio_pci_device_cleanup(self->m.device);
	iommu_cleanup(self->m.iommu);
	snprintf(path, sizeof(path), PCI_DRIVERS "/%s/unbind", PRT_DRV_VFIO_MIG);
	ASSERT_EQ(0, prt_write(path, device_bdf));
	ASSERT_EQ(0, prt_mig_zero_resets());

	EXPECT_EQ(-1, read(data_fd, &byte, 1));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, write(data_fd, &byte, 1));
	EXPECT_EQ(0, prt_dev_write(device_bdf, "reset", "1"));
	EXPECT_EQ(0, prt_mig_resets());
	close(data_fd);
	EXPECT_EQ(0, prt_kmsg_warnings(self->m.kmsg));
}

/* Garbage to the migration uAPI and past config space: refused, no change. */
TEST_F(dev, bad_input_refused)
{
	struct vfio_pci_device *device = self->m.device;
	u32 val = 0;

	EXPECT_EQ(-EINVAL, prt_mig_set(device, 99, NULL));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, prt_mig_state(device));
	/* vfio-pci's errno for an access outside config space */
	EXPECT_EQ(-1, pwrite(device->fd, &val, sizeof(val),
			     device->config_space.offset + device->config_space.size));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, prt_mig_resets());
	EXPECT_EQ(0, prt_kmsg_warnings(self->m.kmsg));
}

/*
 * A migration driver without the migration_reset op, as drivers were written
 * for the base kernel, is refused when it registers the device, with a
 * message that names the op; with the op the same driver binds.
 */
FIXTURE(reg) {
	struct prt_vfio_bind bind;	/* shared with the parent */
	int kmsg;
};

FIXTURE_SETUP(reg)
{
	const char *why = prt_mig_unusable(device_bdf);

	if (why)
		SKIP(return, "%s", why);
	self->kmsg = prt_kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN_PARENT(reg)
{
	EXPECT_EQ(0, prt_write(PRT_VFIO_MIG_OMIT_OP, "N"));
	prt_vfio_unbind(_metadata, &self->bind, PRT_DRV_VFIO_MIG);
}

TEST_F(reg, driver_without_reset_op_refused)
{
	char path[PATH_MAX];

	ASSERT_EQ(0, prt_write(PRT_VFIO_MIG_OMIT_OP, "Y"));
	prt_vfio_bind(&self->bind, device_bdf, PRT_DRV_VFIO_MIG);
	EXPECT_STREQ("bind", self->bind.step);
	EXPECT_EQ(-EINVAL, self->bind.err) TH_LOG("registered without the op");
	EXPECT_EQ(1, prt_kmsg_warnings_or(self->kmsg, "without a migration_reset op"));

	ASSERT_EQ(0, prt_write(PRT_VFIO_MIG_OMIT_OP, "N"));
	snprintf(path, sizeof(path), PCI_DRIVERS "/%s/bind", PRT_DRV_VFIO_MIG);
	EXPECT_EQ(0, prt_write(path, device_bdf));
}

int main(int argc, char *argv[])
{
	device_bdf = prt_vfio_pick_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
