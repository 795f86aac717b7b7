// SPDX-License-Identifier: GPL-2.0
/*
 * The helper drivers park a callback where the test asks, hold it there
 * with their caller's locks, and let it go on release. The lock tests rely
 * on exactly this, on the NVMe SR-IOV PF and its VFs.
 */
#include "prt_park.h"
#include "kselftest_harness.h"

FIXTURE(sriov_pf) {
	char pf[16];
};

/* The NVMe PF on prt_sriov_pf, which enabled two VFs in its probe(). */
FIXTURE_SETUP(sriov_pf)
{
	char drv[64] = "";

	if (prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, self->pf, sizeof(self->pf)))
		SKIP(return, "no NVMe SR-IOV PF in this VM");
	if (access(PRT_DEBUGFS_DIR "/" PRT_DRV_SRIOV_PF, F_OK) ||
	    access(PRT_DEBUGFS_DIR "/" PRT_DRV_VF, F_OK))
		SKIP(return, "helper drivers not loaded");
	ASSERT_EQ(0, prt_dev_write(self->pf, "sriov_numvfs", "0"));
	/* VFs stay unbound until the test gives them a driver. */
	ASSERT_EQ(0, prt_dev_write(self->pf, "sriov_drivers_autoprobe", "0"));
	ASSERT_EQ(0, prt_rebind(self->pf, PRT_DRV_SRIOV_PF));
	ASSERT_EQ(0, prt_driver(self->pf, drv, sizeof(drv)));
	ASSERT_STREQ(PRT_DRV_SRIOV_PF, drv);
	ASSERT_EQ(2, prt_num_virtfns(self->pf));
}

FIXTURE_TEARDOWN(sriov_pf)
{
	prt_park_ctl(PRT_DRV_VF, "release", "1");
	prt_park_ctl(PRT_DRV_SRIOV_PF, "release", "1");
	prt_dev_write(self->pf, "sriov_numvfs", "0");
	prt_rebind(self->pf, "");
	prt_dev_write(self->pf, "sriov_drivers_autoprobe", "1");
}

/* VF removal under sriov_numvfs holds PF and VF device locks and the rescan lock. */
TEST_F(sriov_pf, vf_remove_parks_until_released)
{
	int parked, before, after, i;
	char vf[16], drv[64];
	pid_t pid;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, prt_virtfn(self->pf, i, vf, sizeof(vf)));
		ASSERT_EQ(0, prt_rebind(vf, PRT_DRV_VF));
		ASSERT_EQ(0, prt_driver(vf, drv, sizeof(drv)));
		ASSERT_STREQ(PRT_DRV_VF, drv);
	}
	ASSERT_EQ(0, prt_park_entered(PRT_DRV_VF, PRT_CB_REMOVE, &parked, &before));
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "stall", PRT_CB_REMOVE));

	pid = prt_write_async(self->pf, "sriov_numvfs", "0");
	ASSERT_LT(0, pid);
	EXPECT_TRUE(prt_wait_parked(PRT_DRV_VF, PRT_CB_REMOVE, 1));
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG)) TH_LOG("the write did not wait for the VF");

	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "release", "1"));
	EXPECT_EQ(0, prt_child_status(pid));
	EXPECT_EQ(0, prt_num_virtfns(self->pf));
	ASSERT_EQ(0, prt_park_entered(PRT_DRV_VF, PRT_CB_REMOVE, &parked, &after));
	EXPECT_EQ(0, parked);
	EXPECT_EQ(2, after - before);
}

/* sriov_configure runs under the PF's device lock and the rescan lock. */
TEST_F(sriov_pf, sriov_configure_parks_until_released)
{
	int parked, calls;
	pid_t pid;

	ASSERT_EQ(0, prt_dev_write(self->pf, "sriov_numvfs", "0"));
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_SRIOV_PF, "stall", PRT_CB_SRIOV_CONFIGURE));

	pid = prt_write_async(self->pf, "sriov_numvfs", "2");
	ASSERT_LT(0, pid);
	EXPECT_TRUE(prt_wait_parked(PRT_DRV_SRIOV_PF, PRT_CB_SRIOV_CONFIGURE, 1));
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));
	EXPECT_EQ(0, prt_num_virtfns(self->pf));

	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_SRIOV_PF, "release", "1"));
	EXPECT_EQ(0, prt_child_status(pid));
	EXPECT_EQ(2, prt_num_virtfns(self->pf));
	ASSERT_EQ(0, prt_park_entered(PRT_DRV_SRIOV_PF, PRT_CB_SRIOV_CONFIGURE, &parked, &calls));
	EXPECT_EQ(0, parked);
}

/* Bad input to the controls is refused and changes nothing. */
TEST(stall_rejects_unknown_callbacks)
{
	char buf[64];

	if (access(PRT_DEBUGFS_DIR "/" PRT_DRV_VF, F_OK))
		SKIP(return, "helper drivers not loaded");
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "stall", PRT_CB_PROBE));
	EXPECT_EQ(-EINVAL, prt_park_ctl(PRT_DRV_VF, "stall", "remove bogus"));
	ASSERT_EQ(0, prt_read(PRT_DEBUGFS_DIR "/" PRT_DRV_VF "/stall", buf, sizeof(buf)));
	EXPECT_STREQ(PRT_CB_PROBE "\n", buf);
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "release", "1"));
	ASSERT_EQ(0, prt_read(PRT_DEBUGFS_DIR "/" PRT_DRV_VF "/stall", buf, sizeof(buf)));
	EXPECT_STREQ("none\n", buf);
}

TEST_HARNESS_MAIN
