// SPDX-License-Identifier: GPL-2.0
/*
 * Removal of an SR-IOV PF whose driver leaves its VFs enabled, as nvme
 * does: the VFs must go with the PF, and SR-IOV must work on the PF that a
 * rescan brings back.
 *
 * When the VFs outlive their PF, they keep their names (0000:01:00.1, ...)
 * and the PF's SR-IOV state is gone with it. Enabling VFs on the PF found
 * again by a rescan then adds devices of the same names: device_add() fails
 * with -EEXIST and pci_iov_add_virtfn() unwinds a device that was never
 * added.
 */
#include "prt_host.h"
#include "prt_park.h"
#include "kselftest_harness.h"

#define PRT_PF_DRIVER	"nvme"

FIXTURE(nvme) {
	char pf[16], vf[2][16];
};

FIXTURE_SETUP(nvme)
{
	char drv[64] = "";
	int i;

	ASSERT_EQ(0, prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, self->pf, sizeof(self->pf)));
	ASSERT_EQ(0, prt_rebind(self->pf, PRT_PF_DRIVER));
	ASSERT_EQ(0, prt_dev_write(self->pf, "sriov_numvfs", "0"));
	ASSERT_EQ(0, prt_driver(self->pf, drv, sizeof(drv)));
	ASSERT_STREQ(PRT_PF_DRIVER, drv);
	/* The VFs stay unbound: the VM's controller leaves them offline. */
	ASSERT_EQ(0, prt_dev_write(self->pf, "sriov_drivers_autoprobe", "0"));
	ASSERT_EQ(0, prt_dev_write(self->pf, "sriov_numvfs", "2"));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, prt_virtfn(self->pf, i, self->vf[i], sizeof(self->vf[i])));
}

FIXTURE_TEARDOWN(nvme)
{
	if (!prt_exists(self->pf))
		prt_write("/sys/bus/pci/rescan", "1");
	prt_dev_write(self->pf, "sriov_numvfs", "0");
	prt_dev_write(self->pf, "sriov_drivers_autoprobe", "1");
	prt_rebind(self->pf, "");
}

TEST_F(nvme, pf_removal_takes_its_vfs)
{
	char drv[64] = "";

	ASSERT_EQ(0, prt_dev_write(self->pf, "remove", "1"));
	EXPECT_TRUE(prt_removed(self->pf));
	EXPECT_FALSE(prt_exists(self->vf[0])) TH_LOG("VF %s outlived its PF", self->vf[0]);
	EXPECT_FALSE(prt_exists(self->vf[1])) TH_LOG("VF %s outlived its PF", self->vf[1]);

	ASSERT_EQ(0, prt_write("/sys/bus/pci/rescan", "1"));
	ASSERT_TRUE(prt_back(self->pf, PRT_PF_DRIVER));
	ASSERT_EQ(0, prt_driver(self->pf, drv, sizeof(drv)));
	EXPECT_EQ(0, prt_num_virtfns(self->pf));

	/* SR-IOV works on the PF the rescan found. */
	ASSERT_EQ(0, prt_dev_write(self->pf, "sriov_drivers_autoprobe", "0"));
	EXPECT_EQ(0, prt_dev_write(self->pf, "sriov_numvfs", "2"));
	EXPECT_EQ(2, prt_num_virtfns(self->pf));
	EXPECT_EQ(0, prt_dev_write(self->pf, "sriov_numvfs", "0"));
	EXPECT_EQ(0, prt_num_virtfns(self->pf));
}

TEST_HARNESS_MAIN
