// SPDX-License-Identifier: GPL-2.0
/*
 * Lock order between PCI hot-plug removal and the rescan/remove lock.
 *
 * slot_reset_while_removal_waits: pciehp's IRQ thread removes the ATS
 * device's slot while another removal holds pci_rescan_remove_lock, and
 * that removal waits for a task that first resets the slot. The helper
 * driver prt_vf parks in the other removal, as vfio-pci's remove() waits
 * for its user; the test only lets it go once the slot reset is done, as
 * that user closes its devices in turn. The slot reset takes pciehp's
 * reset_lock for writing, so it must not wait for the IRQ thread.
 */
#include "prt_host.h"
#include "prt_park.h"
#include "kselftest_harness.h"

/* Longer than the hung-task timeout, 10 s: long enough to call it stuck. */
#define PRT_RESET_WAIT_SECS	20
#define PRT_REPLUG_SECS		30

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	(PRT_HOST_DEL_SECS + PRT_HOST_ADD_SECS + \
				 PRT_RESET_WAIT_SECS + PRT_REPLUG_SECS + 60)

FIXTURE(unplug) {
	struct prt_host host;
	char ats[16], nvme[16];
	pid_t remover, unplugger, resetter;
};

FIXTURE_SETUP(unplug)
{
	const char *drv;
	int ret;

	if (strcmp(prt_boot_hotplug(), "native"))
		SKIP(return, "needs pciehp: boot with HOTPLUG=native");
	ret = prt_host_open(&self->host);
	if (ret)
		SKIP(return, "no host channel on %s: %s", PRT_HOST_TTY, strerror(-ret));
	if (access(PRT_DEBUGFS_DIR "/" PRT_DRV_VF, F_OK))
		SKIP(return, "helper drivers not loaded");
	ASSERT_EQ(0, prt_find_dev(PRT_ATS_VENDOR, PRT_ATS_DEVICE, self->ats, sizeof(self->ats)));
	ASSERT_EQ(0, prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, self->nvme, sizeof(self->nvme)));
	drv = prt_slot_driver(self->ats);
	ASSERT_NE(NULL, drv);
	ASSERT_STREQ("pciehp", drv);
	/* A slot reset: pciehp_reset_slot() and its reset_lock. */
	ASSERT_EQ(0, prt_dev_write(self->ats, "reset_method", "bus"));
	ASSERT_EQ(0, prt_rebind(self->nvme, PRT_DRV_VF));
}

/* Let everything go, whatever state the test left, and bring both back. */
FIXTURE_TEARDOWN(unplug)
{
	char why[512];

	prt_park_ctl(PRT_DRV_VF, "release", "1");
	if (self->resetter > 0)
		waitpid(self->resetter, NULL, 0);
	if (self->remover > 0)
		waitpid(self->remover, NULL, 0);
	if (self->unplugger > 0 && !prt_child_status(self->unplugger))
		prt_host_cmd(&self->host, why, sizeof(why), PRT_HOST_ADD_SECS,
			     "device_add %s", PRT_HOST_ATS_ID);
	prt_write("/sys/bus/pci/rescan", "1");
	prt_host_close(&self->host);
}

TEST_F(unplug, slot_reset_while_removal_waits)
{
	char why[512];
	int status;

	/* 1. A removal holds the rescan lock, parked in prt_vf's remove(). */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "stall", PRT_CB_REMOVE));
	self->remover = prt_write_async(self->nvme, "remove", "1");
	ASSERT_LT(0, self->remover);
	ASSERT_TRUE(prt_wait_parked(PRT_DRV_VF, PRT_CB_REMOVE, 1));

	/* 2. The host unplugs the ATS device; pciehp waits for the lock. */
	self->unplugger = prt_unplug_async(&self->host, PRT_HOST_ATS_ID);
	ASSERT_LT(0, self->unplugger);
	ASSERT_TRUE(prt_wait_blocked(-1, "-pciehp", PRT_HOST_DEL_SECS))
		TH_LOG("pciehp never waited for the rescan lock");

	/* 3. The slot is reset before the parked removal may go on. */
	self->resetter = prt_write_async(self->ats, "reset", "1");
	ASSERT_LT(0, self->resetter);
	ASSERT_TRUE(prt_exited_within(self->resetter, PRT_RESET_WAIT_SECS, &status))
		TH_LOG("the slot reset waited %d s for pciehp, which waits for the rescan lock",
		       PRT_RESET_WAIT_SECS);
	self->resetter = 0;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	/* 4. Everyone goes on: both removals end, the host deletes the device. */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "release", "1"));
	EXPECT_EQ(0, prt_child_status(self->remover));
	self->remover = 0;
	ASSERT_TRUE(prt_exited_within(self->unplugger, PRT_HOST_DEL_SECS, &status));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	self->unplugger = 0;
	EXPECT_FALSE(prt_exists(self->ats));
	ASSERT_EQ(0, prt_host_cmd(&self->host, why, sizeof(why), PRT_HOST_ADD_SECS,
				  "device_add %s", PRT_HOST_ATS_ID))
		TH_LOG("%s", why);
}

TEST_HARNESS_MAIN
