// SPDX-License-Identifier: GPL-2.0
/*
 * sriov_numvfs toggled on the NVMe PF while another task removes and
 * rescans the PF and its Root Port, with bad input mixed in. Nothing
 * parks: the windows are the kernel's own. The test ends after PRT_CYCLES
 * cycles of an enable and a disable write, whatever the state of the PF,
 * or fails when a task makes no progress for PRT_STUCK_SECS; then every
 * device must be back. A disable with VFs takes over a second
 * (sriov_disable() waits 1 s), so most writes meet a PF that is being
 * removed or has no driver yet, and fail with -ENODEV or -ENOENT.
 *
 * The PF is bound to prt_sriov_pf, which disables SR-IOV in remove(), as
 * PF drivers do; nvme leaves it enabled, and the VFs of a PF removed that
 * way outlive it. With automatic binding off, the remover binds the PF it
 * rescanned to prt_sriov_pf again, and the Root Port to pcieport.
 */
#include "prt_park.h"
#include "kselftest_harness.h"

#include <sys/mman.h>

#define PRT_CYCLES		1000	/* prt.stress_cycles=<n> on the command line */
#define PRT_STUCK_SECS		30
#define PRT_DEADLINE_SECS	900

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	(PRT_DEADLINE_SECS + PRT_STUCK_SECS + PRT_BIND_SECS + 60)

/* Progress of the two tasks, in memory they share with the test. */
struct prt_stress {
	int target, cycles, enabled, refused, bad_input_wrong;
	int removals, rescans;
	double toggler_seen, remover_seen;	/* last progress, prt_now() */
	const char *toggler_at, *remover_at;	/* what each one writes now */
	int stop;
};

static const char * const prt_garbage[] = { "x", "-1", "65536", "0x", "2 2" };

static void prt_toggle(struct prt_stress *s, const char *pf)
{
	int i, ret;

	for (i = 0; !__atomic_load_n(&s->stop, __ATOMIC_RELAXED) && s->cycles < s->target; i++) {
		s->toggler_at = "sriov_numvfs < 1";
		ret = prt_dev_write(pf, "sriov_numvfs", "1");
		s->enabled += !ret;
		s->toggler_at = "sriov_numvfs < 0";
		ret = prt_dev_write(pf, "sriov_numvfs", "0");
		/* A PF removed or without its driver yet refuses the write. */
		s->refused += ret == -ENODEV || ret == -ENOENT;
		s->toggler_at = "sriov_numvfs < garbage";
		ret = prt_dev_write(pf, "sriov_numvfs", prt_garbage[i % ARRAY_SIZE(prt_garbage)]);
		/* Refused as garbage, or because the PF, or its file, is gone. */
		if (ret != -EINVAL && ret != -ENOENT && ret != -ENODEV)
			s->bad_input_wrong++;
		s->cycles++;
		s->toggler_seen = prt_now();
	}
}

static void prt_remove_rescan(struct prt_stress *s, const char *pf, const char *port)
{
	int i;

	for (i = 0; !__atomic_load_n(&s->stop, __ATOMIC_RELAXED); i++) {
		s->remover_at = "remove of the PF";
		if (!prt_dev_write(pf, "remove", "1"))
			s->removals++;
		s->remover_at = "rescan";
		if (!prt_write("/sys/bus/pci/rescan", "1"))
			s->rescans++;
		s->remover_at = "binding";
		prt_dev_write(pf, "driver_override", PRT_DRV_SRIOV_PF);
		prt_write("/sys/bus/pci/drivers_probe", pf);
		prt_write("/sys/bus/pci/drivers_probe", port);
		s->remover_seen = prt_now();
		usleep(20000);
	}
}

/* The value of @key<n> on the kernel command line, or @def. */
static int prt_cmdline_int(const char *key, int def)
{
	char buf[1024], *p;

	if (prt_read("/proc/cmdline", buf, sizeof(buf)))
		return def;
	p = strstr(buf, key);
	return p ? atoi(p + strlen(key)) : def;
}

/* Module parameter of prt_sriov_pf: VFs its probe() enables. */
#define PRT_PF_NUM_VFS	"/sys/module/" PRT_DRV_SRIOV_PF "/parameters/num_vfs"

TEST(numvfs_vs_remove_rescan)
{
	char pf[16], port[16], ats[16];
	pid_t toggler, remover;
	struct prt_stress *s;
	double start, now;
	int status;

	if (access(PRT_PF_NUM_VFS, F_OK))
		SKIP(return, "helper drivers not loaded");
	ASSERT_EQ(0, prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, pf, sizeof(pf)));
	ASSERT_EQ(0, prt_find_dev(PRT_ATS_VENDOR, PRT_ATS_DEVICE, ats, sizeof(ats)));
	ASSERT_EQ(0, prt_parent(pf, port, sizeof(port)));
	ASSERT_EQ(0, prt_dev_write(pf, "sriov_numvfs", "0"));
	ASSERT_EQ(0, prt_write(PRT_PF_NUM_VFS, "0"));
	ASSERT_EQ(0, prt_write("/sys/bus/pci/drivers_autoprobe", "0"));
	ASSERT_EQ(0, prt_rebind(pf, PRT_DRV_SRIOV_PF));
	ASSERT_TRUE(prt_back(pf, PRT_DRV_SRIOV_PF));
	/*
	 * Every VF added logs a few lines, and the serial console would set
	 * the pace. Warnings and errors still reach it; the rest stays in
	 * the kernel's log buffer.
	 */
	ASSERT_EQ(0, prt_write("/sys/module/printk/parameters/ignore_loglevel", "N"));
	ASSERT_EQ(0, prt_write("/proc/sys/kernel/printk", "5"));
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s);
	s->target = prt_cmdline_int("prt.stress_cycles=", PRT_CYCLES);
	start = s->toggler_seen = s->remover_seen = prt_now();

	toggler = fork();
	if (!toggler) {
		prt_toggle(s, pf);
		_exit(0);
	}
	ASSERT_LT(0, toggler);
	remover = fork();
	if (!remover) {
		prt_remove_rescan(s, pf, port);
		_exit(0);
	}
	ASSERT_LT(0, remover);
	for (;;) {
		sleep(1);
		now = prt_now();
		if (waitpid(toggler, &status, WNOHANG) == toggler)
			break;
		ASSERT_GT(PRT_STUCK_SECS, now - s->toggler_seen)
			TH_LOG("no progress for %d s: the toggler is stuck in %s, the remover in %s",
			       PRT_STUCK_SECS, s->toggler_at, s->remover_at);
		ASSERT_GT(PRT_STUCK_SECS, now - s->remover_seen)
			TH_LOG("no progress for %d s: the remover is stuck in %s, the toggler in %s",
			       PRT_STUCK_SECS, s->remover_at, s->toggler_at);
		ASSERT_GT(PRT_DEADLINE_SECS, now - start)
			TH_LOG("%d cycles in %d s", s->cycles, PRT_DEADLINE_SECS);
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	ASSERT_TRUE(prt_exited_within(remover, PRT_STUCK_SECS, &status));

	ksft_print_msg("%d cycles in %.0f s: %d enables, %d refused for a removed or unbound PF; %d removals, %d rescans\n",
		       s->cycles, prt_now() - start, s->enabled, s->refused, s->removals, s->rescans);
	EXPECT_EQ(s->target, s->cycles);
	EXPECT_EQ(0, s->bad_input_wrong) TH_LOG("garbage in sriov_numvfs was not refused");
	EXPECT_LT(0, s->enabled);
	EXPECT_LT(0, s->removals);

	prt_write("/proc/sys/kernel/printk", "7");
	prt_write("/sys/module/printk/parameters/ignore_loglevel", "Y");

	/* Every device is back, bound to its own driver, and SR-IOV works. */
	ASSERT_EQ(0, prt_write("/sys/bus/pci/rescan", "1"));
	prt_dev_write(pf, "sriov_numvfs", "0");
	ASSERT_EQ(0, prt_write(PRT_PF_NUM_VFS, "2"));
	ASSERT_EQ(0, prt_write("/sys/bus/pci/drivers_autoprobe", "1"));
	ASSERT_EQ(0, prt_rebind(pf, ""));
	prt_write("/sys/bus/pci/drivers_probe", port);
	ASSERT_TRUE(prt_back(pf, "nvme"));
	EXPECT_TRUE(prt_back(port, "pcieport"));
	EXPECT_TRUE(prt_back(ats, "virtio-pci"));
	EXPECT_EQ(0, prt_dev_write(pf, "sriov_drivers_autoprobe", "0"));
	EXPECT_EQ(0, prt_dev_write(pf, "sriov_numvfs", "2"));
	EXPECT_EQ(2, prt_num_virtfns(pf));
	EXPECT_EQ(0, prt_dev_write(pf, "sriov_numvfs", "0"));
	EXPECT_EQ(0, prt_dev_write(pf, "sriov_drivers_autoprobe", "1"));
	munmap(s, sizeof(*s));
}

TEST_HARNESS_MAIN
