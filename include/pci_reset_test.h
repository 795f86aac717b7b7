/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface of the pci_reset_test modules, shared with the user-space tests.
 *
 * The hooks module exposes a debugfs directory, PRT_DEBUGFS_DIR:
 *
 *   target    "DDDD:BB:DD.F": the device every other file acts on
 *   ids       "VVVV:DDDD" to make the target look like another device,
 *             "restore" to give it back its own IDs
 *   counters  read "<name> N" lines, for the target: calls of
 *             pci_dev_reset_iommu_prepare() ("prepare") and _done()
 *             ("done"), attaches of the blocking domain ("block") and
 *             of any other domain ("unblock"), the "done" count when the
 *             last of those happened ("unblock_at_done"), calls of the
 *             host's Root Port reset below ("root_port"), and the P3700
 *             quirk's 250 ms settle sleeps ("settle"); write anything to
 *             zero them
 *   host_reset_root_port
 *             "1" gives the target's host bridge a reset_root_port that
 *             resets the secondary bus (and can fail, fail_root_port);
 *             "0" takes it away again
 *   msix_table
 *             read: the target's MSI-X table as the device holds it, one
 *             "<entry> <addr hi> <addr lo> <data> <vector ctrl>" line (hex)
 *             per allocated vector; ENODEV without MSI-X
 *   pause_added_ms
 *             a PF whose first probe by a scan or hot-add returned spins
 *             before the scan marks it added, as if preempted there: up to
 *             that long until another task holds its device lock, and up
 *             to that long again until that task lets it go (0: not at all)
 *   fail_SITE one fault attribute per injection site, for the target
 *             (Documentation/fault-injection/fault-injection.rst:
 *             probability, interval, times, task-filter, verbose), plus
 *             "errno": the positive error the failed call returns
 *
 * Each helper driver has a directory PRT_DEBUGFS_DIR/<driver>/:
 *
 *   stall     names of the callbacks (PRT_CB_*) that park when entered,
 *             space-separated; "none" parks nothing
 *   entered   read: "<callback> <parked> <calls>" per callback: how many
 *             are parked right now, and how many ran since the module
 *             was loaded
 *   release   write anything: wake every parked callback and stop parking
 *
 * The sample migration driver, PRT_DRV_VFIO_MIG (a vfio-pci variant driver
 * bound through driver_override), has its own directory,
 * PRT_VFIO_MIG_DEBUGFS:
 *
 *   migration_resets
 *             read: how many times the driver reset the migration state
 *             (back to RUNNING, data transfer files ended) after a reset of
 *             one of its devices, since the module was loaded; write 0 to
 *             zero it
 *   migration_reset_op
 *             read-only: "1" if the module was built for a kernel with the
 *             migration_reset op of struct vfio_migration_ops (vfio-pci
 *             resets the migration state after releasing memory_lock), "0"
 *             if its reset_done() callback does it, as the migration
 *             drivers of the base kernel do
 *   state_mutex_holders
 *             read: how many tasks hold a device's state_mutex because of
 *             the hold_state_ms parameter; write 0 to end their hold
 *
 * and its parameters, in /sys/module/PRT_DRV_VFIO_MIG/parameters/:
 *
 *   omit_reset_op  register devices without the migration_reset op
 *   hold_state_ms  the next migration_get_state() (VFIO_DEVICE_FEATURE GET
 *                  of the migration state) holds state_mutex this long, or
 *                  until state_mutex_holders is zeroed
 *   defer_reset    built without the op only: reset_done() only tries
 *                  state_mutex, and leaves the reset to its holder, as mlx5,
 *                  virtio and xe do on the base kernel
 */
#ifndef PCI_RESET_TEST_H
#define PCI_RESET_TEST_H

#define PRT_DEBUGFS_DIR		"/sys/kernel/debug/pci_reset_test"
#define PRT_PAUSE_ADDED		PRT_DEBUGFS_DIR "/pause_added_ms"

/* pci_dev_reset_iommu_prepare(), whoever calls it. */
#define PRT_FAIL_PREPARE	"fail_prepare"
/* pci_dev_reset_iommu_prepare() called from pcie_flr(). */
#define PRT_FAIL_FLR_PREPARE	"fail_flr_prepare"
/* pci_dev_wait() called from pcie_flr(): an FLR that never completes. */
#define PRT_FAIL_FLR_WAIT	"fail_flr_wait"
/* pcie_flr() finds config space unreadable: no FLR is issued. */
#define PRT_FAIL_FLR_CONFIG	"fail_flr_config"
/* The host bridge's reset_root_port (host_reset_root_port). */
#define PRT_FAIL_ROOT_PORT	"fail_root_port"
/* pci_dev_wait() after a secondary bus reset: the device does not come back. */
#define PRT_FAIL_BUS_WAIT	"fail_bus_wait"

/* Helper drivers, bound through driver_override. */
#define PRT_DRV_SRIOV_PF	"prt_sriov_pf"	/* enables VFs in probe */
#define PRT_DRV_VF		"prt_vf"
/* prt_sriov_pf's parameter: how many VFs its probe() enables. */
#define PRT_PF_NUM_VFS		"/sys/module/" PRT_DRV_SRIOV_PF "/parameters/num_vfs"

/* The sample migration driver (vfio-pci variant) and its debugfs files. */
#define PRT_DRV_VFIO_MIG	"prt_vfio_mig"
#define PRT_VFIO_MIG_DEBUGFS	"/sys/kernel/debug/" PRT_DRV_VFIO_MIG
#define PRT_VFIO_MIG_RESETS	"migration_resets"
#define PRT_VFIO_MIG_RESET_OP	"migration_reset_op"
#define PRT_VFIO_MIG_HOLDERS	"state_mutex_holders"
#define PRT_VFIO_MIG_PARAM(p)	"/sys/module/" PRT_DRV_VFIO_MIG "/parameters/" p
#define PRT_VFIO_MIG_OMIT_OP	PRT_VFIO_MIG_PARAM("omit_reset_op")
#define PRT_VFIO_MIG_HOLD_MS	PRT_VFIO_MIG_PARAM("hold_state_ms")
#define PRT_VFIO_MIG_DEFER	PRT_VFIO_MIG_PARAM("defer_reset")

/* Callbacks a helper driver can park in. */
#define PRT_CB_PROBE		"probe"
#define PRT_CB_REMOVE		"remove"
#define PRT_CB_SRIOV_CONFIGURE	"sriov_configure"
#define PRT_CB_RESET_PREPARE	"reset_prepare"
#define PRT_CB_RESET_DONE	"reset_done"

/* Emulated devices of the test VM (tools/vm). */
#define PRT_ATS_VENDOR		0x1af4	/* virtio-blk-pci, ats=on */
#define PRT_ATS_DEVICE		0x1042
#define PRT_NVME_VENDOR		0x1b36	/* QEMU NVMe, SR-IOV PF */
#define PRT_NVME_DEVICE		0x0010

#endif /* PCI_RESET_TEST_H */
