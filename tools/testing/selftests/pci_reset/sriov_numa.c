// SPDX-License-Identifier: GPL-2.0
/*
 * SR-IOV on a server-shaped VM (topology=numa): the NVMe PF sits behind a
 * host bridge of NUMA node 1, so pci_call_probe() runs its driver's probe()
 * in a workqueue worker on that node and waits for it. The PF's driver,
 * prt_sriov_pf, binds it by ID and enables two VFs in probe(), as igb and
 * ixgbe do with max_vfs.
 *
 * A rescan holds the rescan/remove lock while it probes the PF it found.
 * The probe must be able to add the VFs, whichever task runs it.
 */
#include "prt_host.h"
#include "prt_park.h"
#include "kselftest_harness.h"

#define PRT_NEW_ID	"1b36 0010"

FIXTURE(numa) {
	char pf[16];
};

FIXTURE_SETUP(numa)
{
	int workers;

	if (access(PRT_DEBUGFS_DIR "/" PRT_DRV_SRIOV_PF, F_OK))
		SKIP(return, "helper drivers not loaded");
	ASSERT_EQ(0, prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, self->pf, sizeof(self->pf)));
	if (prt_dev_hex(self->pf, "numa_node") != 1)
		SKIP(return, "%s is not on NUMA node 1: needs topology=numa", self->pf);
	workers = prt_probes_in_worker();
	ASSERT_EQ(0, prt_write("/sys/bus/pci/drivers/" PRT_DRV_SRIOV_PF "/new_id", PRT_NEW_ID));
	ASSERT_TRUE(prt_back(self->pf, PRT_DRV_SRIOV_PF));
	ASSERT_EQ(2, prt_num_virtfns(self->pf));
	/* The topology does what it is for. */
	ASSERT_EQ(workers + 1, prt_probes_in_worker());
}

FIXTURE_TEARDOWN(numa)
{
	prt_write("/sys/bus/pci/drivers/" PRT_DRV_SRIOV_PF "/remove_id", PRT_NEW_ID);
	if (!prt_exists(self->pf))
		prt_write("/sys/bus/pci/rescan", "1");
}

TEST_F(numa, rescan_probes_pf_that_enables_vfs)
{
	ASSERT_EQ(0, prt_dev_write(self->pf, "remove", "1"));
	EXPECT_TRUE(prt_removed(self->pf));
	ASSERT_EQ(0, prt_write("/sys/bus/pci/rescan", "1"));
	ASSERT_TRUE(prt_back(self->pf, PRT_DRV_SRIOV_PF));
	EXPECT_EQ(2, prt_num_virtfns(self->pf));
}

TEST_HARNESS_MAIN
