// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, in the guest: prints "bench <name> <value>" lines that
 * tools/bench.sh compares between kernels. Not a test; no set runs it.
 */
#include "prt_park.h"

#define PRT_NUMVFS_ROUNDS	20

static int prt_numvfs_us(const char *pf)
{
	double best = 1e9, t;
	int i;

	for (i = 0; i < PRT_NUMVFS_ROUNDS; i++) {
		t = prt_now();
		if (prt_dev_write(pf, "sriov_numvfs", "4") ||
		    prt_dev_write(pf, "sriov_numvfs", "0"))
			return -1;
		t = prt_now() - t;
		if (t < best)
			best = t;
	}
	return best * 1e6;
}

int main(void)
{
	char buf[256], pf[16], *line;

	if (prt_read(PRT_DEBUGFS_DIR "/bench", buf, sizeof(buf)))
		return 1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		printf("bench %s\n", line);
	if (prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, pf, sizeof(pf)) ||
	    prt_dev_write(pf, "sriov_drivers_autoprobe", "0"))
		return 1;
	printf("bench numvfs_4_us %d\n", prt_numvfs_us(pf));
	return 0;
}
