// SPDX-License-Identifier: GPL-2.0
/*
 * Resets through sysfs on the test VM's emulated devices.
 *
 * The pci_reset_test module makes a device look like one a reset quirk
 * matches, counts IOMMU reset preparation, and fails one step inside the
 * FLR on demand. A reset whose FLR failed must not be reported as done.
 */
#include "prt_util.h"
#include "prt_park.h"
#include "kselftest_harness.h"

#include <linux/pci_regs.h>
#include <sys/mman.h>

static const char * const prt_sites[] = {
	PRT_FAIL_PREPARE, PRT_FAIL_FLR_PREPARE, PRT_FAIL_FLR_WAIT,
	PRT_FAIL_FLR_CONFIG, PRT_FAIL_ROOT_PORT,
};

struct prt_dev {
	char bdf[16];
	char disk[32];
	int ats;
};

static void prt_dev_setup(struct __test_metadata *_metadata, struct prt_dev *d,
			  unsigned int vendor, unsigned int device)
{
	/* A test the harness killed for hanging did not run its teardown. */
	prt_ctl("ids", "restore");
	ASSERT_EQ(0, prt_find_dev(vendor, device, d->bdf, sizeof(d->bdf)))
		TH_LOG("no %04x:%04x in the VM", vendor, device);
	ASSERT_EQ(0, prt_find_disk(d->bdf, d->disk, sizeof(d->disk)))
		TH_LOG("%s has no disk", d->bdf);
	ASSERT_EQ(0, prt_ctl("target", d->bdf));
	for (size_t i = 0; i < ARRAY_SIZE(prt_sites); i++)
		ASSERT_EQ(0, prt_fail_disarm(prt_sites[i]));
	ASSERT_EQ(0, prt_ctl("counters", "0"));
	d->ats = vendor == PRT_ATS_VENDOR;
}

static void prt_dev_teardown(struct prt_dev *d)
{
	for (size_t i = 0; i < ARRAY_SIZE(prt_sites); i++)
		prt_fail_disarm(prt_sites[i]);
	prt_ctl("host_reset_root_port", "0");
	prt_ctl("ids", "restore");
	prt_dev_write(d->bdf, "reset_method", "default");
}

/* The device still does DMA and a later reset blocks the IOMMU exactly once. */
static void prt_expect_healthy(struct __test_metadata *_metadata, struct prt_dev *d)
{
	struct prt_counts c;

	ASSERT_EQ(0, prt_ctl("counters", "0"));
	EXPECT_EQ(0, prt_dev_write(d->bdf, "reset", "1"));
	ASSERT_EQ(0, prt_counts(&c));
	EXPECT_EQ(c.prepare, c.done);
	if (d->ats)
		EXPECT_EQ(1, c.block) TH_LOG("IOMMU reset depth unbalanced");
	EXPECT_EQ(0, prt_disk_io(d->disk));
}

FIXTURE(ats) {
	struct prt_dev d;
};

FIXTURE_SETUP(ats)
{
	prt_dev_setup(_metadata, &self->d, PRT_ATS_VENDOR, PRT_ATS_DEVICE);
}

FIXTURE_TEARDOWN(ats)
{
	prt_dev_teardown(&self->d);
}

/*
 * A reset by @method alone succeeds, calls prepare/done @depth times each
 * but blocks the IOMMU once, gives the device its domain back once, in
 * the outermost done(), and leaves the device doing DMA.
 */
static void prt_reset_by(struct __test_metadata *_metadata, struct prt_dev *d,
			 const char *method, int depth)
{
	struct prt_counts c;

	ASSERT_EQ(0, prt_dev_write(d->bdf, "reset_method", method));
	ASSERT_EQ(0, prt_ctl("counters", "0"));
	EXPECT_EQ(0, prt_dev_write(d->bdf, "reset", "1"));
	ASSERT_EQ(0, prt_counts(&c));
	EXPECT_EQ(depth, c.prepare);
	EXPECT_EQ(depth, c.done);
	EXPECT_EQ(1, c.block);
	EXPECT_EQ(1, c.unblock);
	EXPECT_EQ(depth, c.unblock_at_done) TH_LOG("unblocked by done() call %d of %d",
						   c.unblock_at_done, depth);
	EXPECT_EQ(0, prt_disk_io(d->disk));
}

/* Outer prepare in the quirk wrapper, inner one in pcie_flr(). */
TEST_F(ats, nested_device_specific)
{
	ASSERT_EQ(0, prt_ctl("ids", "8086:10ed"));
	prt_reset_by(_metadata, &self->d, "device_specific", 2);
}

TEST_F(ats, flr)
{
	prt_reset_by(_metadata, &self->d, "flr", 1);
}

TEST_F(ats, bus)
{
	prt_reset_by(_metadata, &self->d, "bus", 1);
}

/* An IOMMU that cannot be prepared must not cost a probe its reset methods. */
TEST_F(ats, probe_keeps_methods_when_prepare_fails)
{
	char before[128], after[128];

	ASSERT_EQ(0, prt_ctl("ids", "8086:10ed"));
	ASSERT_EQ(0, prt_dev_write(self->d.bdf, "reset_method", "default"));
	ASSERT_EQ(0, prt_dev_read(self->d.bdf, "reset_method", before, sizeof(before)));
	PRT_FAIL_ARM(PRT_FAIL_PREPARE, EIO, 5);
	EXPECT_EQ(0, prt_dev_write(self->d.bdf, "reset_method", "default"));
	ASSERT_EQ(0, prt_dev_read(self->d.bdf, "reset_method", after, sizeof(after)));
	EXPECT_STREQ(before, after);
}

/*
 * pcie_flr() called by the "flr" method prepares the IOMMU itself, and may
 * fail to: an error other than -ENOTTY ends the walk, "bus" never runs.
 */
TEST_F(ats, flr_prepare_error_ends_walk)
{
	struct prt_counts c;

	ASSERT_EQ(0, prt_dev_write(self->d.bdf, "reset_method", "flr bus"));
	ASSERT_EQ(0, prt_ctl("counters", "0"));
	PRT_FAIL_ARM(PRT_FAIL_FLR_PREPARE, EIO, 1);
	EXPECT_EQ(-EIO, prt_dev_write(self->d.bdf, "reset", "1"));
	ASSERT_EQ(0, prt_fail_left(PRT_FAIL_FLR_PREPARE));
	ASSERT_EQ(0, prt_counts(&c));
	EXPECT_EQ(1, c.prepare) TH_LOG("another method ran after the failed one");
	EXPECT_EQ(0, c.block);
	ASSERT_EQ(0, prt_fail_disarm(PRT_FAIL_FLR_PREPARE));
	prt_expect_healthy(_metadata, &self->d);
}

/*
 * The host bridge resets the Root Port above the device (reset_root_port,
 * as on qcom and rockchip) and fails: the bus reset did not happen.
 */
TEST_F(ats, bus_reset_reports_root_port_failure)
{
	struct prt_counts c;

	ASSERT_EQ(0, prt_ctl("host_reset_root_port", "1"));
	ASSERT_EQ(0, prt_dev_write(self->d.bdf, "reset_method", "bus"));
	PRT_FAIL_ARM(PRT_FAIL_ROOT_PORT, EIO, 1);
	EXPECT_EQ(-EIO, prt_dev_write(self->d.bdf, "reset", "1"))
		TH_LOG("a bus reset whose Root Port reset failed was reported as %s",
		       "done or with another error");
	ASSERT_EQ(0, prt_fail_left(PRT_FAIL_ROOT_PORT));
	ASSERT_EQ(0, prt_fail_disarm(PRT_FAIL_ROOT_PORT));

	/* The host's Root Port reset works again, and is what resets the bus. */
	prt_expect_healthy(_metadata, &self->d);
	ASSERT_EQ(0, prt_counts(&c));
	EXPECT_EQ(1, c.root_port);
}

/* Each quirk that resets with an FLR, on an emulated device it accepts. */
FIXTURE(quirk) {
	struct prt_dev d;
};

FIXTURE_VARIANT(quirk) {
	unsigned int vendor, device;	/* the emulated device */
	const char *ids;		/* what the quirk table matches */
};

FIXTURE_VARIANT_ADD(quirk, intel_82599_sfp_vf) {
	.vendor = PRT_ATS_VENDOR, .device = PRT_ATS_DEVICE, .ids = "8086:10ed",
};

FIXTURE_VARIANT_ADD(quirk, intel_p3700_delay) {
	.vendor = PRT_ATS_VENDOR, .device = PRT_ATS_DEVICE, .ids = "8086:0953",
};

FIXTURE_VARIANT_ADD(quirk, chelsio_t4) {
	.vendor = PRT_ATS_VENDOR, .device = PRT_ATS_DEVICE, .ids = "1425:4001",
};

FIXTURE_VARIANT_ADD(quirk, samsung_nvme) {
	.vendor = PRT_NVME_VENDOR, .device = PRT_NVME_DEVICE, .ids = "144d:a804",
};

static void prt_quirk_setup(struct __test_metadata *_metadata, struct prt_dev *d,
			    unsigned int vendor, unsigned int device, const char *ids)
{
	prt_dev_setup(_metadata, d, vendor, device);
	ASSERT_EQ(0, prt_ctl("ids", ids));
	ASSERT_EQ(0, prt_dev_write(d->bdf, "reset_method", "device_specific"))
		TH_LOG("no quirk matches %s", ids);
}

FIXTURE_SETUP(quirk)
{
	prt_quirk_setup(_metadata, &self->d, variant->vendor, variant->device,
			variant->ids);
}

FIXTURE_TEARDOWN(quirk)
{
	prt_dev_teardown(&self->d);
}

static void prt_reset_fails(struct __test_metadata *_metadata, struct prt_dev *d,
			    const char *site, int err)
{
	PRT_FAIL_ARM(site, err, 1);
	EXPECT_EQ(-err, prt_dev_write(d->bdf, "reset", "1"))
		TH_LOG("a reset whose FLR failed was reported as %s",
		       "done or with another error");
	ASSERT_EQ(0, prt_fail_left(site)) TH_LOG("the failure was not injected");
	ASSERT_EQ(0, prt_fail_disarm(site));
	prt_expect_healthy(_metadata, d);
}

/* Config space was unreadable when the FLR was due: none was issued. */
TEST_F(quirk, flr_not_issued_reported)
{
	prt_reset_fails(_metadata, &self->d, PRT_FAIL_FLR_CONFIG, ENOTTY);
}

/*
 * The device did not come back from the FLR: -ENOTTY, as from the core FLR
 * method, so the walk moves on; nothing else is allowed here.
 */
TEST_F(quirk, flr_timeout_reported)
{
	prt_reset_fails(_metadata, &self->d, PRT_FAIL_FLR_WAIT, ENOTTY);
}

/*
 * -ENOTTY from the quirk is no verdict: the walk goes on to "flr", whose
 * own prepare/done pair and IOMMU block come after the quirk's two.
 */
TEST_F(quirk, flr_timeout_falls_through_to_flr)
{
	struct prt_counts c;

	ASSERT_EQ(0, prt_dev_write(self->d.bdf, "reset_method", "device_specific flr"));
	ASSERT_EQ(0, prt_ctl("counters", "0"));
	PRT_FAIL_ARM(PRT_FAIL_FLR_WAIT, ENOTTY, 1);
	EXPECT_EQ(0, prt_dev_write(self->d.bdf, "reset", "1"));
	ASSERT_EQ(0, prt_fail_left(PRT_FAIL_FLR_WAIT));
	ASSERT_EQ(0, prt_counts(&c));
	EXPECT_EQ(3, c.prepare) TH_LOG("the flr method did not run after the quirk");
	EXPECT_EQ(3, c.done);
	if (self->d.ats)
		EXPECT_EQ(2, c.block);
	ASSERT_EQ(0, prt_fail_disarm(PRT_FAIL_FLR_WAIT));
	prt_expect_healthy(_metadata, &self->d);
}

/* The P3700 quirk's 250 ms settle time follows an FLR that completed only. */
FIXTURE(p3700) {
	struct prt_dev d;
};

FIXTURE_SETUP(p3700)
{
	prt_quirk_setup(_metadata, &self->d, PRT_ATS_VENDOR, PRT_ATS_DEVICE, "8086:0953");
}

FIXTURE_TEARDOWN(p3700)
{
	prt_dev_teardown(&self->d);
}

TEST_F(p3700, no_settle_after_failed_flr)
{
	struct prt_counts c;

	PRT_FAIL_ARM(PRT_FAIL_FLR_WAIT, ENOTTY, 1);
	EXPECT_EQ(-ENOTTY, prt_dev_write(self->d.bdf, "reset", "1"));
	ASSERT_EQ(0, prt_fail_left(PRT_FAIL_FLR_WAIT));
	ASSERT_EQ(0, prt_counts(&c));
	EXPECT_EQ(0, c.settle);
	ASSERT_EQ(0, prt_fail_disarm(PRT_FAIL_FLR_WAIT));
	prt_expect_healthy(_metadata, &self->d);
	ASSERT_EQ(0, prt_counts(&c));
	EXPECT_EQ(1, c.settle) TH_LOG("the settle sleep cannot be observed");
}

/* MSI-X Message Control of @bdf, read from config space. */
static int prt_msix_ctrl(const char *bdf)
{
	unsigned char cfg[256];
	char path[PATH_MAX];
	int fd, n, pos, hops;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	if (n != sizeof(cfg))
		return -EIO;
	pos = cfg[PCI_CAPABILITY_LIST] & ~3;
	for (hops = 0; pos && hops < 48; hops++, pos = cfg[pos + PCI_CAP_LIST_NEXT] & ~3)
		if (cfg[pos] == PCI_CAP_ID_MSIX)
			return cfg[pos + PCI_MSIX_FLAGS] | cfg[pos + PCI_MSIX_FLAGS + 1] << 8;
	return -ENOENT;
}

/*
 * The Chelsio quirk turns MSI-X on and masked for its FLR. Without a driver
 * that enabled MSI-X, only the FLR turns it off again: when no FLR was
 * issued, the quirk must put back what it found.
 */
FIXTURE(chelsio) {
	struct prt_dev d;
};

FIXTURE_SETUP(chelsio)
{
	prt_quirk_setup(_metadata, &self->d, PRT_ATS_VENDOR, PRT_ATS_DEVICE, "1425:4001");
	ASSERT_EQ(0, prt_rebind(self->d.bdf, "none"));
}

FIXTURE_TEARDOWN(chelsio)
{
	prt_dev_teardown(&self->d);
	prt_rebind(self->d.bdf, "");
}

TEST_F(chelsio, msix_kept_when_flr_not_issued)
{
	int before, after;

	before = prt_msix_ctrl(self->d.bdf);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, before & PCI_MSIX_FLAGS_ENABLE) TH_LOG("MSI-X still enabled");
	PRT_FAIL_ARM(PRT_FAIL_FLR_CONFIG, ENOTTY, 1);
	EXPECT_EQ(-ENOTTY, prt_dev_write(self->d.bdf, "reset", "1"));
	ASSERT_EQ(0, prt_fail_left(PRT_FAIL_FLR_CONFIG));
	after = prt_msix_ctrl(self->d.bdf);
	EXPECT_EQ(before, after) TH_LOG("MSI-X Control %#x, was %#x", after, before);
	ASSERT_EQ(0, prt_fail_disarm(PRT_FAIL_FLR_CONFIG));

	/* virtio-pci binds the device by its own IDs. */
	ASSERT_EQ(0, prt_ctl("ids", "restore"));
	ASSERT_EQ(0, prt_dev_write(self->d.bdf, "reset_method", "default"));
	ASSERT_EQ(0, prt_rebind(self->d.bdf, ""));
	prt_expect_healthy(_metadata, &self->d);
}

/*
 * Keep the device busy with DMA while reset methods are only probed, and
 * count the IOMMU blocks the probes cause. The reader counts its reads in
 * shared memory: the probes go on until it finished some while they ran.
 */
static void prt_probe_under_io(struct __test_metadata *_metadata, struct prt_dev *d,
			       const char *methods)
{
	volatile int *reads;
	struct prt_counts c;
	int i, start, status;
	pid_t pid;

	reads = mmap(NULL, sizeof(*reads), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, reads);
	*reads = 0;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		for (;;) {
			if (prt_disk_io(d->disk))
				_exit(1);
			__atomic_add_fetch(reads, 1, __ATOMIC_SEQ_CST);
		}
	}
	for (i = 0; i < 500 && !*reads; i++)
		usleep(10000);
	ASSERT_LT(0, *reads) TH_LOG("the reader never read");

	ASSERT_EQ(0, prt_ctl("counters", "0"));
	start = *reads;
	for (i = 0; i < 3 || (*reads - start < 3 && i < 300); i++)
		EXPECT_EQ(0, prt_dev_write(d->bdf, "reset_method", methods));
	ASSERT_EQ(0, prt_counts(&c));
	EXPECT_LE(3, *reads - start) TH_LOG("no I/O overlapped the %d probes", i);

	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG)) TH_LOG("the reader stopped");
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("a read failed while reset methods were probed");
	munmap((void *)reads, sizeof(*reads));

	EXPECT_EQ(0, c.block) TH_LOG("%d probes blocked DMA %d times", i, c.block);
	EXPECT_EQ(0, c.prepare);
	EXPECT_EQ(0, prt_disk_io(d->disk));
}

FIXTURE(busy) {
	struct prt_dev d;
};

FIXTURE_SETUP(busy)
{
	prt_dev_setup(_metadata, &self->d, PRT_ATS_VENDOR, PRT_ATS_DEVICE);
}

FIXTURE_TEARDOWN(busy)
{
	prt_dev_teardown(&self->d);
}

/*
 * On the base kernel a probe blocks the reader's DMA, and the NVMe I/O it
 * strands keeps the test waiting for the harness's timeout; the probes
 * themselves take well under a second.
 */
TEST_F_TIMEOUT(busy, probe_default_does_not_block, 10)
{
	prt_probe_under_io(_metadata, &self->d, "default");
}

TEST_F_TIMEOUT(busy, probe_device_specific_does_not_block, 10)
{
	ASSERT_EQ(0, prt_ctl("ids", "8086:10ed"));
	prt_probe_under_io(_metadata, &self->d, "device_specific");
}

TEST_HARNESS_MAIN
