/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the pci_reset_test hooks module exports (namespace PCI_RESET_TEST)
 * to the KUnit suites and the helper drivers.
 */
#ifndef _PRT_H
#define _PRT_H

#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

struct prt_counts {
	int prepare;
	int done;
	int block;
	int unblock;
	int unblock_at_done;
	int root_port;
	int settle;
};

struct pci_dev *prt_find_ats_dev(void);
struct pci_dev *prt_find_sriov_pf(void);
void prt_set_target(struct pci_dev *pdev);
void prt_read_counts(struct prt_counts *c);
void prt_zero_counts(void);
bool prt_can_count_blocks(void);

extern struct kunit_suite prt_rescan_suite;

struct dentry;
void prt_bench_init(struct dentry *dir);

/* Driver callbacks that run under a lock, where a test may hold them. */
enum prt_cb {
	PRT_PROBE,
	PRT_REMOVE,
	PRT_SRIOV_CONFIGURE,
	PRT_RESET_PREPARE,
	PRT_RESET_DONE,
	PRT_NR_CBS
};

/*
 * A helper driver's parking points, controlled from debugfs (see
 * include/pci_reset_test.h). Static in the driver's module: the driver
 * must be unregistered, which waits for its callbacks, between
 * prt_park_exit() and the module's unload.
 */
struct prt_park {
	const char *name;
	struct dentry *dir;
	spinlock_t lock;		/* stall and gen */
	unsigned long stall;		/* BIT(enum prt_cb) */
	unsigned int gen;		/* bumped by every release */
	wait_queue_head_t wq;
	atomic_t parked[PRT_NR_CBS];
	atomic_t calls[PRT_NR_CBS];
};

int prt_park_init(struct prt_park *park, const char *name);
void prt_park_exit(struct prt_park *park);
void prt_park_arm(struct prt_park *park, enum prt_cb cb);
void prt_park(struct prt_park *park, enum prt_cb cb, struct pci_dev *pdev);

#endif
