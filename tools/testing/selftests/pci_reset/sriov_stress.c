// SPDX-License-Identifier: GPL-2.0
/*
 * SR-IOV reconfigured on the NVMe PF while another task removes the PF or
 * its Root Port and rescans, or unbinds and binds the PF's driver: what a
 * user who changes VFs on a server meets. Nothing parks: the windows are
 * the kernel's own. Two PF drivers: nvme, which leaves SR-IOV enabled when
 * it unbinds, and prt_sriov_pf, which enables two VFs in probe() and
 * disables them in remove(), as igb does with max_vfs.
 *
 * The writer reads sriov_numvfs, writes 2 and then 0. A write "acted" when
 * it returned 0 and changed the number of VFs; a cycle counts when both of
 * its writes acted. The test ends after prt.stress_cycles=<n> such cycles
 * (PRT_CYCLES), and fails if it took longer than PRT_DEADLINE_SECS, or if a
 * task made no progress for PRT_STUCK_SECS. Each counted cycle takes over
 * a second (sriov_disable() waits 1 s), so the remover pauses between its
 * steps to leave the writer a bound PF most of the time.
 *
 * Automatic binding is off, so that the VFs stay unbound: the remover binds
 * the PF it rescanned to the variant's driver, and the Root Port to
 * pcieport.
 */
#include "prt_park.h"
#include "kselftest_harness.h"

#include <sys/mman.h>

#define PRT_CYCLES		50
#define PRT_STUCK_SECS		30
#define PRT_DEADLINE_SECS	300
#define PRT_REMOVER_PAUSE_US	1500000

/* The harness's bound, past the test's own. */
#define PRT_TIMEOUT_SECS	(PRT_DEADLINE_SECS + PRT_STUCK_SECS + PRT_BIND_SECS + 60)

/* Progress of the two tasks, in memory they share with the test. */
struct prt_stress {
	int target, cycles, writes, bad_input_wrong;
	int pf_removals, port_removals, rebinds;
	double writer_seen, remover_seen;	/* last progress, prt_now() */
	const char *writer_at, *remover_at;	/* what each one does now */
	int stop;
};

static const char * const prt_garbage[] = { "x", "-1", "65536", "0x", "2 2" };

static bool prt_stopped(struct prt_stress *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_RELAXED);
}

/* Write @n to sriov_numvfs; did the write change the number of VFs? */
static bool prt_numvfs_acted(struct prt_stress *s, const char *pf, int n, const char *at)
{
	char buf[16], val[4];
	int before;

	if (prt_dev_read(pf, "sriov_numvfs", buf, sizeof(buf)))
		return false;
	before = atoi(buf);
	snprintf(val, sizeof(val), "%d", n);
	s->writer_at = at;
	s->writes++;
	return !prt_dev_write(pf, "sriov_numvfs", val) && before != n;
}

static void prt_writer(struct prt_stress *s, const char *pf)
{
	bool enabled;
	int i, ret;

	for (i = 0; !prt_stopped(s) && s->cycles < s->target; i++) {
		enabled = prt_numvfs_acted(s, pf, 2, "sriov_numvfs < 2");
		if (prt_numvfs_acted(s, pf, 0, "sriov_numvfs < 0") && enabled)
			s->cycles++;
		else if (!enabled)
			usleep(20000);	/* no PF, or no driver yet: don't spin */
		s->writer_at = "sriov_numvfs < garbage";
		ret = prt_dev_write(pf, "sriov_numvfs", prt_garbage[i % ARRAY_SIZE(prt_garbage)]);
		/* Refused as garbage, or because the PF, or its file, is gone. */
		if (ret != -EINVAL && ret != -ENOENT && ret != -ENODEV)
			s->bad_input_wrong++;
		s->writer_seen = prt_now();
	}
}

/* Bring back what a removal took, bound as the test wants it. */
static void prt_rescan_rebind(struct prt_stress *s, const char *pf, const char *port,
			      const char *drv)
{
	s->remover_at = "rescan";
	prt_write("/sys/bus/pci/rescan", "1");
	s->remover_at = "binding";
	prt_write("/sys/bus/pci/drivers_probe", port);
	prt_dev_write(pf, "driver_override", drv);
	prt_write("/sys/bus/pci/drivers_probe", pf);
}

static void prt_remover(struct prt_stress *s, const char *pf, const char *port, const char *drv)
{
	char path[64];
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", drv);
	for (i = 0; !prt_stopped(s); i++) {
		switch (i % 3) {
		case 0:
			s->remover_at = "remove of the PF";
			s->pf_removals += !prt_dev_write(pf, "remove", "1");
			break;
		case 1:
			s->remover_at = "remove of the Root Port";
			s->port_removals += !prt_dev_write(port, "remove", "1");
			break;
		case 2:
			s->remover_at = "unbind of the PF";
			s->rebinds += !prt_write(path, pf);
			break;
		}
		prt_rescan_rebind(s, pf, port, drv);
		s->remover_seen = prt_now();
		usleep(PRT_REMOVER_PAUSE_US);
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

FIXTURE(pf) {
	char pf[16], port[16], ats[16];
	struct prt_stress *s;
};

FIXTURE_VARIANT(pf) {
	const char *driver;
};

/* Leaves SR-IOV enabled when it unbinds. */
FIXTURE_VARIANT_ADD(pf, nvme) {
	.driver = "nvme",
};

/* Enables two VFs in probe() and disables them in remove(). */
FIXTURE_VARIANT_ADD(pf, enables_vfs_in_probe) {
	.driver = PRT_DRV_SRIOV_PF,
};

FIXTURE_SETUP(pf)
{
	if (access(PRT_PF_NUM_VFS, F_OK))
		SKIP(return, "helper drivers not loaded");
	ASSERT_EQ(0, prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, self->pf, sizeof(self->pf)));
	ASSERT_EQ(0, prt_find_dev(PRT_ATS_VENDOR, PRT_ATS_DEVICE, self->ats, sizeof(self->ats)));
	ASSERT_EQ(0, prt_parent(self->pf, self->port, sizeof(self->port)));
	ASSERT_EQ(0, prt_dev_write(self->pf, "sriov_numvfs", "0"));
	ASSERT_EQ(0, prt_write("/sys/bus/pci/drivers_autoprobe", "0"));
	ASSERT_EQ(0, prt_rebind(self->pf, variant->driver));
	ASSERT_TRUE(prt_back(self->pf, variant->driver));
	/*
	 * Every VF added logs a few lines, and the serial console would set
	 * the pace. Warnings and errors still reach it; the rest stays in
	 * the kernel's log buffer.
	 */
	ASSERT_EQ(0, prt_write("/sys/module/printk/parameters/ignore_loglevel", "N"));
	ASSERT_EQ(0, prt_write("/proc/sys/kernel/printk", "5"));
	self->s = mmap(NULL, sizeof(*self->s), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->s);
	self->s->target = prt_cmdline_int("prt.stress_cycles=", PRT_CYCLES);
}

FIXTURE_TEARDOWN(pf)
{
	prt_write("/proc/sys/kernel/printk", "7");
	prt_write("/sys/module/printk/parameters/ignore_loglevel", "Y");
	if (self->s != MAP_FAILED)
		munmap(self->s, sizeof(*self->s));
}

TEST_F_TIMEOUT(pf, numvfs_vs_removal_and_rebind, PRT_TIMEOUT_SECS)
{
	struct prt_stress *s = self->s;
	pid_t writer, remover;
	double start, now;
	int status;

	start = prt_now();
	s->writer_seen = start;
	s->remover_seen = start;
	writer = fork();
	if (!writer) {
		prt_writer(s, self->pf);
		_exit(0);
	}
	ASSERT_LT(0, writer);
	remover = fork();
	if (!remover) {
		prt_remover(s, self->pf, self->port, variant->driver);
		_exit(0);
	}
	ASSERT_LT(0, remover);
	for (;;) {
		sleep(1);
		now = prt_now();
		if (waitpid(writer, &status, WNOHANG) == writer)
			break;
		ASSERT_GT(PRT_STUCK_SECS, now - s->writer_seen)
			TH_LOG("no progress for %d s: the writer is stuck in %s, the remover in %s",
			       PRT_STUCK_SECS, s->writer_at, s->remover_at);
		ASSERT_GT(PRT_STUCK_SECS, now - s->remover_seen)
			TH_LOG("no progress for %d s: the remover is stuck in %s, the writer in %s",
			       PRT_STUCK_SECS, s->remover_at, s->writer_at);
		ASSERT_GT(PRT_DEADLINE_SECS, now - start)
			TH_LOG("%d of %d cycles in %d s", s->cycles, s->target, PRT_DEADLINE_SECS);
	}
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the writer died in %s", s->writer_at);
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	ASSERT_TRUE(prt_exited_within(remover, PRT_STUCK_SECS, &status))
		TH_LOG("the remover is stuck in %s", s->remover_at);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the remover died in %s", s->remover_at);

	ksft_print_msg("%d cycles acted in %.0f s, %d writes; removed %d PF, %d port; %d unbinds\n",
		       s->cycles, prt_now() - start, s->writes, s->pf_removals, s->port_removals,
		       s->rebinds);
	EXPECT_LE(s->target, s->cycles);
	EXPECT_EQ(0, s->bad_input_wrong) TH_LOG("garbage in sriov_numvfs was not refused");
	EXPECT_LT(0, s->pf_removals);
	EXPECT_LT(0, s->port_removals);
	EXPECT_LT(0, s->rebinds);

	/* Every device is back, bound to its own driver, and SR-IOV works. */
	ASSERT_EQ(0, prt_write("/sys/bus/pci/rescan", "1"));
	prt_dev_write(self->pf, "sriov_numvfs", "0");
	ASSERT_EQ(0, prt_write("/sys/bus/pci/drivers_autoprobe", "1"));
	ASSERT_EQ(0, prt_rebind(self->pf, ""));
	prt_write("/sys/bus/pci/drivers_probe", self->port);
	ASSERT_TRUE(prt_back(self->pf, "nvme"));
	EXPECT_TRUE(prt_back(self->port, "pcieport"));
	EXPECT_TRUE(prt_back(self->ats, "virtio-pci"));
	EXPECT_EQ(0, prt_dev_write(self->pf, "sriov_drivers_autoprobe", "0"));
	EXPECT_EQ(0, prt_dev_write(self->pf, "sriov_numvfs", "2"));
	EXPECT_EQ(2, prt_num_virtfns(self->pf));
	EXPECT_EQ(0, prt_dev_write(self->pf, "sriov_numvfs", "0"));
	EXPECT_EQ(0, prt_dev_write(self->pf, "sriov_drivers_autoprobe", "1"));
}

TEST_HARNESS_MAIN
