// SPDX-License-Identifier: GPL-2.0
/* SR-IOV enable/disable, then removal and rescan of the physical function. */
#include "prt_util.h"
#include "kselftest_harness.h"

static int prt_virtfns(const char *bdf)
{
	char path[PATH_MAX];
	struct stat st;
	int n;

	for (n = 0; n < 64; n++) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/virtfn%d", bdf, n);
		if (stat(path, &st))
			break;
	}
	return n;
}

TEST(enable_disable_remove_rescan)
{
	char bdf[16];

	ASSERT_EQ(0, prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, bdf, sizeof(bdf)));
	ASSERT_EQ(0, prt_dev_write(bdf, "sriov_numvfs", "2"));
	EXPECT_EQ(2, prt_virtfns(bdf));
	ASSERT_EQ(0, prt_dev_write(bdf, "sriov_numvfs", "0"));
	EXPECT_EQ(0, prt_virtfns(bdf));

	ASSERT_EQ(0, prt_dev_write(bdf, "remove", "1"));
	EXPECT_FALSE(prt_exists(bdf));
	ASSERT_EQ(0, prt_write("/sys/bus/pci/rescan", "1"));
	EXPECT_TRUE(prt_exists(bdf));
}

TEST_HARNESS_MAIN
