// SPDX-License-Identifier: GPL-2.0
/*
 * Micro-benchmarks for make bench, read from debugfs "bench": the cost of
 * pci_lock_rescan_remove() and pci_unlock_rescan_remove(), uncontended and
 * nested, and sizeof(struct pci_dev). The same module runs on the base
 * kernel, where the lock does not nest: "nested_ns -1" there.
 */
#include <linux/debugfs.h>
#include <linux/ktime.h>
#include <linux/pci.h>

#include "prt.h"

#define PRT_BENCH_LOOPS	200000

/* The fastest of a few runs, in ns per iteration. */
static u64 prt_bench_lock(bool nested)
{
	u64 best = U64_MAX, t;
	int run, i;

	for (run = 0; run < 5; run++) {
		t = ktime_get_ns();
		for (i = 0; i < PRT_BENCH_LOOPS; i++) {
			pci_lock_rescan_remove();
			if (nested) {
				pci_lock_rescan_remove();
				pci_unlock_rescan_remove();
			}
			pci_unlock_rescan_remove();
		}
		t = ktime_get_ns() - t;
		best = min(best, t);
		cond_resched();
	}
	return div_u64(best, PRT_BENCH_LOOPS);
}

static int prt_bench_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "lock_unlock_ns %llu\n", prt_bench_lock(false));
#ifdef PRT_RESCAN_LOCK_NESTS
	seq_printf(m, "nested_ns %llu\n", prt_bench_lock(true));
#else
	seq_puts(m, "nested_ns -1\n");
#endif
	seq_printf(m, "pci_dev_size %zu\n", sizeof(struct pci_dev));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(prt_bench);

void prt_bench_init(struct dentry *dir)
{
	debugfs_create_file("bench", 0400, dir, NULL, &prt_bench_fops);
}
