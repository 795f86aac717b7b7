// SPDX-License-Identifier: GPL-2.0
/*
 * Resets through sysfs on the test VM's emulated devices.
 *
 * The pci_reset_test module makes a device look like one a reset quirk
 * matches, counts IOMMU reset preparation, and fails one step inside the
 * FLR on demand. A reset whose FLR failed must not be reported as done.
 */
#include "prt_util.h"
#include "kselftest_harness.h"

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
	ASSERT_EQ(0, prt_fail_disarm(PRT_FAIL_PREPARE));
	ASSERT_EQ(0, prt_fail_disarm(PRT_FAIL_FLR_PREPARE));
	ASSERT_EQ(0, prt_fail_disarm(PRT_FAIL_FLR_WAIT));
	ASSERT_EQ(0, prt_ctl("counters", "0"));
	d->ats = vendor == PRT_ATS_VENDOR;
}

static void prt_dev_teardown(struct prt_dev *d)
{
	prt_fail_disarm(PRT_FAIL_PREPARE);
	prt_fail_disarm(PRT_FAIL_FLR_PREPARE);
	prt_fail_disarm(PRT_FAIL_FLR_WAIT);
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
 * but blocks the IOMMU once, and leaves the device doing DMA.
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
	ASSERT_EQ(0, prt_fail_arm(PRT_FAIL_PREPARE, EIO, 5));
	EXPECT_EQ(0, prt_dev_write(self->d.bdf, "reset_method", "default"));
	ASSERT_EQ(0, prt_dev_read(self->d.bdf, "reset_method", after, sizeof(after)));
	EXPECT_STREQ(before, after);
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

FIXTURE_SETUP(quirk)
{
	prt_dev_setup(_metadata, &self->d, variant->vendor, variant->device);
	ASSERT_EQ(0, prt_ctl("ids", variant->ids));
	ASSERT_EQ(0, prt_dev_write(self->d.bdf, "reset_method", "device_specific"))
		TH_LOG("no quirk matches %s", variant->ids);
}

FIXTURE_TEARDOWN(quirk)
{
	prt_dev_teardown(&self->d);
}

static void prt_reset_fails(struct __test_metadata *_metadata, struct prt_dev *d,
			    const char *site, int err)
{
	ASSERT_EQ(0, prt_fail_arm(site, err, 1));
	EXPECT_EQ(-err, prt_dev_write(d->bdf, "reset", "1"))
		TH_LOG("a reset whose FLR failed was reported as %s",
		       "done or with another error");
	ASSERT_EQ(0, prt_fail_left(site)) TH_LOG("the failure was not injected");
	ASSERT_EQ(0, prt_fail_disarm(site));
	prt_expect_healthy(_metadata, d);
}

/* The IOMMU could not be prepared for the FLR: the FLR never ran. */
TEST_F(quirk, flr_prepare_error_reported)
{
	prt_reset_fails(_metadata, &self->d, PRT_FAIL_FLR_PREPARE, EIO);
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
 * Keep the device busy with DMA while reset methods are only probed. On a
 * kernel with the bug, a read whose DMA the probe blocked can be lost, and
 * later resets of the device then wait for it forever: the set boots once
 * per test (reset_quirks.expect).
 */
static void prt_probe_under_io(struct __test_metadata *_metadata, struct prt_dev *d,
			       const char *methods)
{
	struct prt_counts c;
	pid_t pid;
	int i;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		for (;;)
			if (prt_disk_io(d->disk))
				_exit(1);
	}
	ASSERT_EQ(0, prt_ctl("counters", "0"));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, prt_dev_write(d->bdf, "reset_method", methods));
	ASSERT_EQ(0, prt_counts(&c));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(0, c.block) TH_LOG("probing blocked DMA %d times", c.block);
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

TEST_F(busy, probe_default_does_not_block)
{
	prt_probe_under_io(_metadata, &self->d, "default");
}

TEST_F(busy, probe_device_specific_does_not_block)
{
	ASSERT_EQ(0, prt_ctl("ids", "8086:10ed"));
	prt_probe_under_io(_metadata, &self->d, "device_specific");
}

TEST_HARNESS_MAIN
