// SPDX-License-Identifier: GPL-2.0
/*
 * prt_sriov_pf: an SR-IOV physical function driver, bound through
 * driver_override, shaped like most NIC drivers: it enables its VFs in
 * probe() and disables them in remove(), and lets sysfs sriov_numvfs change
 * them. Every callback can park on request.
 *
 * debugfs probes_in_worker counts the probes that pci_call_probe() ran in a
 * workqueue worker, as it does for a device on a NUMA node: a test on the
 * numa topology checks that it tests that path.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sched.h>

#include <pci_reset_test.h>
#include "prt.h"

static unsigned int num_vfs = 2;
module_param(num_vfs, uint, 0644);
MODULE_PARM_DESC(num_vfs, "VFs enabled in probe (0: none)");

/* For a test that holds the bind of a modprobe, which has no debugfs yet. */
static bool stall_probe;
module_param(stall_probe, bool, 0444);
MODULE_PARM_DESC(stall_probe, "Park in probe() until released, from the start");

static struct prt_park prt_pf_park;
static atomic_t prt_pf_probes_in_worker;

static int prt_pf_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	unsigned int n = READ_ONCE(num_vfs);
	int ret;

	/* Bound by ID, it would match the VFs too. */
	if (!pdev->is_physfn)
		return -ENODEV;
	if (current->flags & PF_WQ_WORKER)
		atomic_inc(&prt_pf_probes_in_worker);
	prt_park(&prt_pf_park, PRT_PROBE, pdev);
	if (!n)
		return 0;
	ret = pci_enable_sriov(pdev, n);
	if (ret)
		pci_err(pdev, "cannot enable %u VFs: %d\n", n, ret);
	return ret;
}

static void prt_pf_remove(struct pci_dev *pdev)
{
	prt_park(&prt_pf_park, PRT_REMOVE, pdev);
	pci_disable_sriov(pdev);
}

static int prt_pf_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	prt_park(&prt_pf_park, PRT_SRIOV_CONFIGURE, pdev);
	return pci_sriov_configure_simple(pdev, nr_virtfn);
}

static void prt_pf_reset_prepare(struct pci_dev *pdev)
{
	prt_park(&prt_pf_park, PRT_RESET_PREPARE, pdev);
}

static void prt_pf_reset_done(struct pci_dev *pdev)
{
	prt_park(&prt_pf_park, PRT_RESET_DONE, pdev);
}

static const struct pci_error_handlers prt_pf_err_handler = {
	.reset_prepare = prt_pf_reset_prepare,
	.reset_done = prt_pf_reset_done,
};

/* No id_table: binds only where driver_override names it. */
static struct pci_driver prt_pf_driver = {
	.name = PRT_DRV_SRIOV_PF,
	.probe = prt_pf_probe,
	.remove = prt_pf_remove,
	.sriov_configure = prt_pf_sriov_configure,
	.err_handler = &prt_pf_err_handler,
};

static int __init prt_pf_init(void)
{
	int ret;

	ret = prt_park_init(&prt_pf_park, PRT_DRV_SRIOV_PF);
	if (ret)
		return ret;
	debugfs_create_atomic_t("probes_in_worker", 0400, prt_pf_park.dir,
				&prt_pf_probes_in_worker);
	if (stall_probe)
		prt_park_arm(&prt_pf_park, PRT_PROBE);
	ret = pci_register_driver(&prt_pf_driver);
	if (ret)
		prt_park_exit(&prt_pf_park);
	return ret;
}

/* Unbinds first, so that a test can hold an rmmod in remove(). */
static void __exit prt_pf_exit(void)
{
	pci_unregister_driver(&prt_pf_driver);
	prt_park_exit(&prt_pf_park);
}

module_init(prt_pf_init);
module_exit(prt_pf_exit);
MODULE_IMPORT_NS("PCI_RESET_TEST");
MODULE_DESCRIPTION("SR-IOV PF driver that enables VFs in probe, for lock tests");
MODULE_LICENSE("GPL");
