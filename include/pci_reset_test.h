/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface of the pci_reset_test module, shared with the user-space tests.
 *
 * The module exposes a debugfs directory with one file per control:
 *
 *   target    "DDDD:BB:DD.F": the device every other file acts on
 *   ids       "VVVV:DDDD" to make the target look like another device,
 *             "restore" to give it back its own IDs
 *   counters  read: "prepare N\ndone N\nblock N\n", calls of
 *             pci_dev_reset_iommu_prepare()/done() and blocking-domain
 *             attaches for the target; write anything to zero them
 *   inject    "SITE ERRNO [COUNT]": make the next COUNT (default 1) calls at
 *             SITE for the target return -ERRNO without running; "off"
 *             disarms. Read: "SITE ERRNO LEFT HITS".
 */
#ifndef PCI_RESET_TEST_H
#define PCI_RESET_TEST_H

#define PRT_DEBUGFS_DIR		"/sys/kernel/debug/pci_reset_test"

/* pci_dev_reset_iommu_prepare(), whoever calls it. */
#define PRT_SITE_PREPARE	"prepare"
/* pci_dev_reset_iommu_prepare() called from pcie_flr(). */
#define PRT_SITE_FLR_PREPARE	"flr_prepare"
/* pci_dev_wait() called from pcie_flr(): an FLR that never completes. */
#define PRT_SITE_FLR_WAIT	"flr_wait"

/* Emulated devices of the test VM (tools/vm). */
#define PRT_ATS_VENDOR		0x1af4	/* virtio-blk-pci, ats=on */
#define PRT_ATS_DEVICE		0x1042
#define PRT_NVME_VENDOR		0x1b36	/* QEMU NVMe, SR-IOV PF */
#define PRT_NVME_DEVICE		0x0010

#endif /* PCI_RESET_TEST_H */
