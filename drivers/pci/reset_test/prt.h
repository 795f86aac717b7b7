/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PRT_H
#define _PRT_H

#include <linux/pci.h>

struct prt_counts {
	int prepare;
	int done;
	int block;
};

struct pci_dev *prt_find_ats_dev(void);
struct pci_dev *prt_find_sriov_pf(void);
void prt_set_target(struct pci_dev *pdev);
void prt_read_counts(struct prt_counts *c);
void prt_zero_counts(void);
bool prt_can_count_blocks(void);

#endif
