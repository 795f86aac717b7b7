// SPDX-License-Identifier: GPL-2.0
/*
 * prt_vf: a driver for any function (a VF, typically), bound through
 * driver_override, that does nothing but park on request. It holds the
 * device lock of its device, and whatever its caller holds, at a point the
 * test chooses.
 */
#include <linux/module.h>
#include <linux/pci.h>

#include <pci_reset_test.h>
#include "prt.h"

static struct prt_park prt_vf_park;

static int prt_vf_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	prt_park(&prt_vf_park, PRT_PROBE, pdev);
	return 0;
}

static void prt_vf_remove(struct pci_dev *pdev)
{
	prt_park(&prt_vf_park, PRT_REMOVE, pdev);
}

static void prt_vf_reset_prepare(struct pci_dev *pdev)
{
	prt_park(&prt_vf_park, PRT_RESET_PREPARE, pdev);
}

static void prt_vf_reset_done(struct pci_dev *pdev)
{
	prt_park(&prt_vf_park, PRT_RESET_DONE, pdev);
}

static const struct pci_error_handlers prt_vf_err_handler = {
	.reset_prepare = prt_vf_reset_prepare,
	.reset_done = prt_vf_reset_done,
};

/* No id_table: binds only where driver_override names it. */
static struct pci_driver prt_vf_driver = {
	.name = PRT_DRV_VF,
	.probe = prt_vf_probe,
	.remove = prt_vf_remove,
	.err_handler = &prt_vf_err_handler,
};

static int __init prt_vf_init(void)
{
	int ret;

	ret = prt_park_init(&prt_vf_park, PRT_DRV_VF);
	if (ret)
		return ret;
	ret = pci_register_driver(&prt_vf_driver);
	if (ret)
		prt_park_exit(&prt_vf_park);
	return ret;
}

static void __exit prt_vf_exit(void)
{
	prt_park_exit(&prt_vf_park);
	pci_unregister_driver(&prt_vf_driver);
}

module_init(prt_vf_init);
module_exit(prt_vf_exit);
MODULE_IMPORT_NS("PCI_RESET_TEST");
MODULE_DESCRIPTION("PCI driver whose callbacks park on request, for lock tests");
MODULE_LICENSE("GPL");
