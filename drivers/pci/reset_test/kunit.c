// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites of the test VM, a module of their own so that loading the
 * hooks does not run them: the environment the other tests rely on,
 * nesting of IOMMU reset preparation, and of the rescan/remove lock
 * (rescan_kunit.c).
 */
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>

#include "prt.h"

static void prt_env_iommu_active(struct kunit *test)
{
	struct pci_dev *pdev = prt_find_ats_dev();
	struct iommu_domain *domain;

	KUNIT_ASSERT_NOT_NULL_MSG(test, pdev, "no device with ATS behind an IOMMU");
	domain = iommu_get_domain_for_dev(&pdev->dev);
	KUNIT_EXPECT_NOT_NULL(test, domain);
	if (domain)
		KUNIT_EXPECT_TRUE(test, domain->type & __IOMMU_DOMAIN_PAGING);
	pci_dev_put(pdev);
}

static void prt_env_ats_device_grouped(struct kunit *test)
{
	struct pci_dev *pdev = prt_find_ats_dev();
	struct iommu_group *group;

	KUNIT_ASSERT_NOT_NULL(test, pdev);
	KUNIT_EXPECT_TRUE(test, pci_ats_supported(pdev));
	group = iommu_group_get(&pdev->dev);
	KUNIT_EXPECT_NOT_NULL(test, group);
	iommu_group_put(group);
	KUNIT_EXPECT_TRUE_MSG(test, prt_can_count_blocks(),
			      "blocking-domain attaches cannot be observed");
	pci_dev_put(pdev);
}

static void prt_env_nvme_sriov(struct kunit *test)
{
	struct pci_dev *pdev = prt_find_sriov_pf();

	KUNIT_ASSERT_NOT_NULL_MSG(test, pdev, "no NVMe SR-IOV physical function");
	KUNIT_EXPECT_GE(test, pci_sriov_get_totalvfs(pdev), 2);
	pci_dev_put(pdev);
}

static struct kunit_case prt_env_cases[] = {
	KUNIT_CASE(prt_env_iommu_active),
	KUNIT_CASE(prt_env_ats_device_grouped),
	KUNIT_CASE(prt_env_nvme_sriov),
	{}
};

static struct kunit_suite prt_env_suite = {
	.name = "pci_reset_env",
	.test_cases = prt_env_cases,
};

/*
 * Nested prepare/done, as a device-specific reset does it around pcie_flr():
 * only the outermost call blocks and only the outermost done unblocks.
 */
static void prt_untarget(void *pdev)
{
	prt_set_target(NULL);
	pci_dev_put(pdev);
}

static void prt_iommu_prepare_nests(struct kunit *test)
{
	struct pci_dev *pdev = prt_find_ats_dev();
	struct iommu_domain *domain;
	struct prt_counts c;
	int outer, inner;

	if (!pdev)
		kunit_skip(test, "no device with ATS behind an IOMMU");
	prt_set_target(pdev);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, prt_untarget, pdev));
	domain = iommu_get_domain_for_dev(&pdev->dev);

	device_lock(&pdev->dev);
	prt_zero_counts();
	outer = pci_dev_reset_iommu_prepare(pdev);
	inner = pci_dev_reset_iommu_prepare(pdev);
	prt_read_counts(&c);
	KUNIT_EXPECT_EQ(test, c.block, 1);
	if (!inner)
		pci_dev_reset_iommu_done(pdev);
	prt_read_counts(&c);
	KUNIT_EXPECT_EQ(test, c.block, 1);
	KUNIT_EXPECT_EQ_MSG(test, c.unblock, 0, "inner done gave the domain back");
	if (!outer)
		pci_dev_reset_iommu_done(pdev);
	device_unlock(&pdev->dev);
	prt_read_counts(&c);
	KUNIT_EXPECT_EQ_MSG(test, c.unblock, 1, "outer done did not give the domain back");

	KUNIT_EXPECT_EQ(test, outer, 0);
	KUNIT_EXPECT_EQ(test, inner, 0);
	prt_read_counts(&c);
	KUNIT_EXPECT_EQ(test, c.prepare, 2);
	KUNIT_EXPECT_EQ(test, c.done, 2);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&pdev->dev), domain);
}

static struct kunit_case prt_nest_cases[] = {
	KUNIT_CASE(prt_iommu_prepare_nests),
	{}
};

static struct kunit_suite prt_nest_suite = {
	.name = "pci_reset_iommu_nest",
	.test_cases = prt_nest_cases,
};

kunit_test_suites(&prt_env_suite, &prt_nest_suite, &prt_rescan_suite);

MODULE_IMPORT_NS("PCI_RESET_TEST");
MODULE_DESCRIPTION("KUnit tests of IOMMU reset preparation in the test VM");
MODULE_LICENSE("GPL");
