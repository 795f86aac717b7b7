// SPDX-License-Identifier: GPL-2.0
/*
 * Lock order between PCI hot-plug removal and the rescan/remove lock.
 *
 * slot_reset_while_removal_waits: pciehp's IRQ thread removes the ATS
 * device's slot while another removal holds pci_rescan_remove_lock, and
 * that removal waits for a task that first resets the slot. The helper
 * driver prt_vf parks in the other removal, as vfio-pci's remove() waits
 * for its user; the test only lets it go once the slot reset is done, as
 * that user closes its devices in turn. The slot reset takes pciehp's
 * reset_lock for writing, so it must not wait for the IRQ thread.
 *
 * notify.stale_context_leaves_new_one: an ACPI hot-plug notification for
 * the NVMe PF's slot, whose work holds acpiphp's bridge of the PF's Root
 * Port while it waits for the rescan/remove lock, outlives a removal of
 * that Root Port and a rescan. QEMU notifies the slot when VFs appear:
 * the test sets VF Enable in the PF's SR-IOV capability through sysfs
 * "config", behind the kernel's back, while prt_vf holds the lock, parked
 * in a removal of the ATS device, and the Root Port's removal and the
 * rescan wait for it. The rescan gives the slot's ACPI object a new
 * acpiphp context; when the notification ends, the old bridge and its
 * context go, and the Root Port's next removal must find the new context.
 *
 * rescan_attr: a write to a "rescan" file against a removal of the device
 * or bus the file belongs to (see the fixture).
 *
 * remove_attr: a write to a device's "remove" file against a removal of the
 * device by another path (see the fixture).
 *
 * port_unplug: a removal of a hotplug port against pciehp's removal of the
 * devices in its slot (see the fixture).
 */
#include "prt_host.h"
#include "prt_park.h"
#include "kselftest_harness.h"

/* Longer than the hung-task timeout, 10 s: long enough to call it stuck. */
#define PRT_RESET_WAIT_SECS	20
#define PRT_REPLUG_SECS		30

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	(PRT_HOST_DEL_SECS + PRT_HOST_ADD_SECS + \
				 PRT_RESET_WAIT_SECS + PRT_REPLUG_SECS + 60)

FIXTURE(unplug) {
	struct prt_host host;
	char ats[16], nvme[16];
	pid_t remover, unplugger, resetter;
};

FIXTURE_SETUP(unplug)
{
	const char *drv;
	int ret;

	if (strcmp(prt_boot_hotplug(), "native"))
		SKIP(return, "needs pciehp: boot with HOTPLUG=native");
	ret = prt_host_open(&self->host);
	if (ret)
		SKIP(return, "no host channel on %s: %s", PRT_HOST_TTY, strerror(-ret));
	if (access(PRT_DEBUGFS_DIR "/" PRT_DRV_VF, F_OK))
		SKIP(return, "helper drivers not loaded");
	ASSERT_EQ(0, prt_find_dev(PRT_ATS_VENDOR, PRT_ATS_DEVICE, self->ats, sizeof(self->ats)));
	ASSERT_EQ(0, prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, self->nvme, sizeof(self->nvme)));
	drv = prt_slot_driver(self->ats);
	ASSERT_NE(NULL, drv);
	ASSERT_STREQ("pciehp", drv);
	/* A slot reset: pciehp_reset_slot() and its reset_lock. */
	ASSERT_EQ(0, prt_dev_write(self->ats, "reset_method", "bus"));
	ASSERT_EQ(0, prt_rebind(self->nvme, PRT_DRV_VF));
}

/* Let everything go, whatever state the test left, and bring both back. */
FIXTURE_TEARDOWN(unplug)
{
	char why[512];

	prt_park_ctl(PRT_DRV_VF, "release", "1");
	if (self->resetter > 0)
		waitpid(self->resetter, NULL, 0);
	if (self->remover > 0)
		waitpid(self->remover, NULL, 0);
	if (self->unplugger > 0 && !prt_child_status(self->unplugger))
		prt_host_cmd(&self->host, why, sizeof(why), PRT_HOST_ADD_SECS,
			     "device_add %s", PRT_HOST_ATS_ID);
	prt_write("/sys/bus/pci/rescan", "1");
	prt_host_close(&self->host);
}

TEST_F(unplug, slot_reset_while_removal_waits)
{
	char why[512];
	int status;

	/* 1. A removal holds the rescan lock, parked in prt_vf's remove(). */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "stall", PRT_CB_REMOVE));
	self->remover = prt_write_async(self->nvme, "remove", "1");
	ASSERT_LT(0, self->remover);
	ASSERT_TRUE(prt_wait_parked(PRT_DRV_VF, PRT_CB_REMOVE, 1));

	/* 2. The host unplugs the ATS device; pciehp waits for the lock. */
	self->unplugger = prt_unplug_async(&self->host, PRT_HOST_ATS_ID);
	ASSERT_LT(0, self->unplugger);
	ASSERT_TRUE(prt_wait_pciehp_blocked(PRT_HOST_DEL_SECS))
		TH_LOG("pciehp never waited for the rescan lock");

	/* 3. The slot is reset before the parked removal may go on. */
	self->resetter = prt_write_async(self->ats, "reset", "1");
	ASSERT_LT(0, self->resetter);
	ASSERT_TRUE(prt_exited_within(self->resetter, PRT_RESET_WAIT_SECS, &status))
		TH_LOG("the slot reset waited %d s for pciehp, which waits for the rescan lock",
		       PRT_RESET_WAIT_SECS);
	self->resetter = 0;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	/* 4. Everyone goes on: both removals end, the host deletes the device. */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "release", "1"));
	EXPECT_EQ(0, prt_child_status(self->remover));
	self->remover = 0;
	ASSERT_TRUE(prt_exited_within(self->unplugger, PRT_HOST_DEL_SECS, &status));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	self->unplugger = 0;
	EXPECT_FALSE(prt_exists(self->ats));
	ASSERT_EQ(0, prt_host_cmd(&self->host, why, sizeof(why), PRT_HOST_ADD_SECS,
				  "device_add %s", PRT_HOST_ATS_ID))
		TH_LOG("%s", why);
}

#define PRT_LOCK_WAIT_SECS	20
/* Each step waits for at most PRT_LOCK_WAIT_SECS; the test takes seconds. */
#define PRT_NOTIFY_SECS		(6 * PRT_LOCK_WAIT_SECS)
#define PCI_EXT_CAP_ID_SRIOV	0x10
#define PCI_SRIOV_CTRL		0x08
#define PCI_SRIOV_CTRL_VFE	0x01
#define PCI_SRIOV_NUM_VF	0x10

/* Config space of @bdf through sysfs: @len bytes at @pos, read or written. */
static int prt_config_io(const char *bdf, int pos, void *buf, int len, bool write)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	fd = open(path, write ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return -errno;
	n = write ? pwrite(fd, buf, len, pos) : pread(fd, buf, len, pos);
	close(fd);
	return n == len ? 0 : -EIO;
}

/* The offset of extended capability @id in @bdf's config space, or 0. */
static int prt_ext_cap(const char *bdf, unsigned int id)
{
	unsigned int hdr;
	int pos = 0x100, hops = 0;

	while (pos && hops++ < 64) {
		if (prt_config_io(bdf, pos, &hdr, sizeof(hdr), false) || !hdr)
			return 0;
		if ((hdr & 0xffff) == id)
			return pos;
		pos = hdr >> 20;
	}
	return 0;
}

FIXTURE(notify) {
	char ats[16], pf[16], port[16];
	pid_t parker, port_remover, rescanner;
	int sriov;
	bool oopsed;	/* the lock's holder died: nothing can take it again */
};

FIXTURE_SETUP(notify)
{
	const char *drv;

	if (strcmp(prt_boot_hotplug(), "acpi"))
		SKIP(return, "needs acpiphp: boot with HOTPLUG=acpi");
	if (access(PRT_DEBUGFS_DIR "/" PRT_DRV_VF, F_OK))
		SKIP(return, "helper drivers not loaded");
	ASSERT_EQ(0, prt_find_dev(PRT_ATS_VENDOR, PRT_ATS_DEVICE, self->ats, sizeof(self->ats)));
	ASSERT_EQ(0, prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, self->pf, sizeof(self->pf)));
	ASSERT_EQ(0, prt_parent(self->pf, self->port, sizeof(self->port)));
	drv = prt_slot_driver(self->pf);
	ASSERT_NE(NULL, drv);
	ASSERT_STREQ("acpiphp", drv);
	self->sriov = prt_ext_cap(self->pf, PCI_EXT_CAP_ID_SRIOV);
	ASSERT_NE(0, self->sriov);
	ASSERT_EQ(0, prt_dev_write(self->pf, "sriov_numvfs", "0"));
	ASSERT_EQ(0, prt_rebind(self->ats, PRT_DRV_VF));
}

FIXTURE_TEARDOWN(notify)
{
	int status;

	prt_park_ctl(PRT_DRV_VF, "release", "1");
	if (self->parker > 0)
		prt_exited_within(self->parker, 1, &status);
	if (self->port_remover > 0)
		prt_exited_within(self->port_remover, 1, &status);
	if (self->rescanner > 0)
		prt_exited_within(self->rescanner, 1, &status);
	if (self->oopsed)
		return;
	prt_write("/sys/bus/pci/rescan", "1");
	prt_rebind(self->ats, "");
}

TEST_F_TIMEOUT(notify, stale_context_leaves_new_one, PRT_NOTIFY_SECS)
{
	unsigned short num = 1, ctrl;
	int status;
	pid_t pid;

	/* 1. A removal holds the rescan/remove lock, parked in prt_vf. */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "stall", PRT_CB_REMOVE));
	self->parker = prt_write_async(self->ats, "remove", "1");
	ASSERT_LT(0, self->parker);
	ASSERT_TRUE(prt_wait_parked(PRT_DRV_VF, PRT_CB_REMOVE, 1));

	/* 2. The Root Port's removal, then a rescan of its bus, wait for it. */
	self->port_remover = prt_write_async(self->port, "remove", "1");
	ASSERT_LT(0, self->port_remover);
	ASSERT_TRUE(prt_wait_blocked(self->port_remover, PRT_LOCK_WAIT_SECS));
	self->rescanner = prt_write_async("0000:00:00.0", "rescan", "1");
	ASSERT_LT(0, self->rescanner);
	ASSERT_TRUE(prt_wait_blocked(self->rescanner, PRT_LOCK_WAIT_SECS));

	/* 3. VFs appear: QEMU notifies the slot, and acpiphp's work waits too. */
	ASSERT_EQ(0, prt_config_io(self->pf, self->sriov + PCI_SRIOV_NUM_VF, &num,
				   sizeof(num), true));
	ASSERT_EQ(0, prt_config_io(self->pf, self->sriov + PCI_SRIOV_CTRL, &ctrl,
				   sizeof(ctrl), false));
	ctrl |= PCI_SRIOV_CTRL_VFE;
	ASSERT_EQ(0, prt_config_io(self->pf, self->sriov + PCI_SRIOV_CTRL, &ctrl,
				   sizeof(ctrl), true));
	ASSERT_TRUE(prt_wait_acpiphp_blocked(PRT_LOCK_WAIT_SECS))
		TH_LOG("no ACPI hot-plug work waited for the rescan/remove lock");

	/* 4. All go, in that order; the notification's work ends last. */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "release", "1"));
	ASSERT_TRUE(prt_exited_within(self->parker, PRT_LOCK_WAIT_SECS, &status));
	self->parker = 0;
	ASSERT_TRUE(prt_exited_within(self->port_remover, PRT_LOCK_WAIT_SECS, &status));
	self->port_remover = 0;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_TRUE(prt_exited_within(self->rescanner, PRT_LOCK_WAIT_SECS, &status));
	self->rescanner = 0;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_TRUE(prt_exists(self->port));
	ASSERT_EQ(0, prt_write("/sys/bus/pci/rescan", "1"));

	/* 5. The Root Port's removal now meets the rescan's context. */
	pid = prt_write_async(self->port, "remove", "1");
	ASSERT_LT(0, pid);
	ASSERT_TRUE(prt_exited_within(pid, PRT_LOCK_WAIT_SECS, &status))
		TH_LOG("the Root Port's second removal never ended");
	self->oopsed = !WIFEXITED(status);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the Root Port's second removal died");
	ASSERT_EQ(0, prt_write("/sys/bus/pci/rescan", "1"));
	EXPECT_TRUE(prt_back(self->pf, "nvme"));
	EXPECT_TRUE(prt_back(self->port, "pcieport"));
}

/*
 * rescan_attr: a write to the "rescan" file of a device, or of the bus below
 * a bridge, waits for the rescan/remove lock while it holds the file's kernfs
 * active reference. A removal of that device, or of a bridge above it, holds
 * the lock and removes the file, which waits for the reference to go. prt_vf
 * parks the removal of the ATS device, or of its Root Port, with the lock
 * held, until the write waits; then it is let go. Both must end, and what
 * was removed come back.
 */
FIXTURE(rescan_attr) {
	char ats[16], port[16];
	pid_t parker, writer;
};

FIXTURE_VARIANT(rescan_attr) {
	bool remove_port;	/* else the ATS device itself */
	bool bus_file;		/* the Root Port's bus's file, else the device's */
};

FIXTURE_VARIANT_ADD(rescan_attr, device_removed) {};
FIXTURE_VARIANT_ADD(rescan_attr, port_removed) { .remove_port = true };
FIXTURE_VARIANT_ADD(rescan_attr, bus_of_port_removed) { .remove_port = true, .bus_file = true };

FIXTURE_SETUP(rescan_attr)
{
	if (access(PRT_DEBUGFS_DIR "/" PRT_DRV_VF, F_OK))
		SKIP(return, "helper drivers not loaded");
	ASSERT_EQ(0, prt_find_dev(PRT_ATS_VENDOR, PRT_ATS_DEVICE, self->ats, sizeof(self->ats)));
	ASSERT_EQ(0, prt_parent(self->ats, self->port, sizeof(self->port)));
	ASSERT_EQ(0, prt_rebind(self->ats, PRT_DRV_VF));
}

FIXTURE_TEARDOWN(rescan_attr)
{
	bool stuck;

	prt_park_ctl(PRT_DRV_VF, "release", "1");
	stuck = prt_stuck(self->parker, 1);
	stuck |= prt_stuck(self->writer, 1);
	/* A stuck removal holds the rescan/remove lock: a rescan would hang. */
	if (stuck)
		return;
	prt_write("/sys/bus/pci/rescan", "1");
	prt_rebind(self->ats, "");
}

TEST_F_TIMEOUT(rescan_attr, removal_ends, 4 * PRT_LOCK_WAIT_SECS)
{
	char file[64];
	int status;

	/* 1. A removal holds the rescan/remove lock, parked in prt_vf. */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "stall", PRT_CB_REMOVE));
	self->parker = prt_write_async(variant->remove_port ? self->port : self->ats,
				       "remove", "1");
	ASSERT_LT(0, self->parker);
	ASSERT_TRUE(prt_wait_parked(PRT_DRV_VF, PRT_CB_REMOVE, 1));

	/* 2. The write waits for it, in a file that the removal takes away. */
	if (variant->bus_file) {
		/* The bus the ATS device is on: "DDDD:BB" of its name. */
		snprintf(file, sizeof(file), "pci_bus/%.7s/rescan", self->ats);
		self->writer = prt_write_async(self->port, file, "1");
	} else {
		self->writer = prt_write_async(self->ats, "rescan", "1");
	}
	ASSERT_LT(0, self->writer);
	ASSERT_TRUE(prt_wait_blocked(self->writer, PRT_LOCK_WAIT_SECS));

	/* 3. The removal goes on, and removes the file. */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "release", "1"));
	ASSERT_TRUE(prt_exited_within(self->parker, PRT_LOCK_WAIT_SECS, &status))
		TH_LOG("the removal waits for the write, which waits for the removal");
	self->parker = 0;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_TRUE(prt_exited_within(self->writer, PRT_LOCK_WAIT_SECS, &status));
	self->writer = 0;
	/* Its device or bus is gone: nothing to rescan. */
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == ENODEV)
		TH_LOG("the write ended with %s", strerror(WEXITSTATUS(status)));
	EXPECT_TRUE(prt_removed(self->ats));

	/* 4. All comes back. */
	ASSERT_EQ(0, prt_write("/sys/bus/pci/rescan", "1"));
	EXPECT_TRUE(prt_back(self->ats, "virtio-pci"));
	EXPECT_TRUE(prt_back(self->port, "pcieport"));
}

/*
 * remove_attr: a write to the "remove" file of the ATS device leaves the file
 * (device_remove_file_self()) and then waits for the rescan/remove lock. A
 * removal of the device by another path holds the lock meanwhile: of its
 * Root Port through sysfs, or a hot-unplug by pciehp or acpiphp. prt_vf
 * parks that removal in its remove() until the write waits, then lets it
 * go. The removal frees the device, and the write must not remove it again.
 * The VM zeroes freed memory (topology init-on-free), so that a use of the
 * freed device shows.
 */
FIXTURE(remove_attr) {
	struct prt_host host;
	char ats[16], port[16];
	pid_t remover, writer;
	bool oopsed;	/* the write died: it may hold the lock forever */
};

FIXTURE_VARIANT(remove_attr) {
	const char *slot_driver;	/* a hot-unplug by it, else the port's removal */
};

FIXTURE_VARIANT_ADD(remove_attr, port_removed) {};
FIXTURE_VARIANT_ADD(remove_attr, pciehp_unplug) { .slot_driver = "pciehp" };
FIXTURE_VARIANT_ADD(remove_attr, acpiphp_unplug) { .slot_driver = "acpiphp" };

FIXTURE_SETUP(remove_attr)
{
	const char *want = variant->slot_driver;
	int ret;

	self->host.fd = -1;
	if (want && strcmp(prt_boot_hotplug(), strcmp(want, "pciehp") ? "acpi" : "native"))
		SKIP(return, "needs %s: boot with the other HOTPLUG mode", want);
	if (access(PRT_DEBUGFS_DIR "/" PRT_DRV_VF, F_OK))
		SKIP(return, "helper drivers not loaded");
	ASSERT_EQ(0, prt_find_dev(PRT_ATS_VENDOR, PRT_ATS_DEVICE, self->ats, sizeof(self->ats)));
	ASSERT_EQ(0, prt_parent(self->ats, self->port, sizeof(self->port)));
	if (want) {
		ret = prt_host_open(&self->host);
		if (ret)
			SKIP(return, "no host channel on %s: %s", PRT_HOST_TTY, strerror(-ret));
		ASSERT_STREQ(want, prt_slot_driver(self->ats));
	}
	ASSERT_EQ(0, prt_rebind(self->ats, PRT_DRV_VF));
}

FIXTURE_TEARDOWN(remove_attr)
{
	char why[512];
	bool stuck;

	prt_park_ctl(PRT_DRV_VF, "release", "1");
	stuck = prt_stuck(self->remover, PRT_HOST_DEL_SECS);
	stuck |= prt_stuck(self->writer, 1);
	/* A stuck removal holds the rescan/remove lock: a rescan would hang. */
	if (!stuck && !self->oopsed) {
		if (variant->slot_driver && !prt_exists(self->ats))
			prt_host_cmd(&self->host, why, sizeof(why), PRT_HOST_ADD_SECS,
				     "device_add %s", PRT_HOST_ATS_ID);
		prt_write("/sys/bus/pci/rescan", "1");
		prt_rebind(self->ats, "");
	}
	prt_host_close(&self->host);
}

TEST_F_TIMEOUT(remove_attr, removal_ends, PRT_HOST_DEL_SECS + PRT_HOST_ADD_SECS +
	       4 * PRT_LOCK_WAIT_SECS)
{
	int status;

	/* 1. Another removal holds the rescan/remove lock, parked in prt_vf. */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "stall", PRT_CB_REMOVE));
	if (variant->slot_driver)
		self->remover = prt_unplug_async(&self->host, PRT_HOST_ATS_ID);
	else
		self->remover = prt_write_async(self->port, "remove", "1");
	ASSERT_LT(0, self->remover);
	ASSERT_TRUE(prt_wait_parked(PRT_DRV_VF, PRT_CB_REMOVE, 1));

	/* 2. The write leaves its file and waits for the lock. */
	self->writer = prt_write_async(self->ats, "remove", "1");
	ASSERT_LT(0, self->writer);
	ASSERT_TRUE(prt_wait_blocked(self->writer, PRT_LOCK_WAIT_SECS));

	/* 3. The removal goes on and frees the device; the write then ends. */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "release", "1"));
	ASSERT_TRUE(prt_exited_within(self->remover, PRT_HOST_DEL_SECS, &status));
	self->remover = 0;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_TRUE(prt_exited_within(self->writer, PRT_LOCK_WAIT_SECS, &status))
		TH_LOG("the write never ended");
	self->writer = 0;
	self->oopsed = !WIFEXITED(status);
	ASSERT_FALSE(self->oopsed)
		TH_LOG("the write was killed by signal %d", WTERMSIG(status));
	/* The device is gone, as the write asked. */
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("the write ended with %s", strerror(WEXITSTATUS(status)));
	EXPECT_FALSE(prt_exists(self->ats));
}

/*
 * port_unplug: a sysfs removal of the ATS device's Root Port holds the
 * rescan/remove lock, parked in prt_vf's remove() of the device, while the
 * slot is to be emptied: the host unplugs the device (pciehp), or a write
 * of 0 to the slot's "power" file asks pciehp to power it off
 * (pciehp_power). pciehp's IRQ thread waits for the lock. Let go, the
 * removal unbinds the port's services, and pciehp_remove() frees the IRQ,
 * which waits for that thread. Both must end. Under acpiphp, the host's
 * unplug queues acpiphp's notify work, which waits for the lock too, and
 * the removal deletes the slot under it.
 */
FIXTURE(port_unplug) {
	struct prt_host host;
	char ats[16], port[16], power[PATH_MAX];
	pid_t remover, emptier;
};

FIXTURE_VARIANT(port_unplug) {
	const char *slot_driver;
	bool power;	/* the slot's "power" file, else the host's unplug */
};

FIXTURE_VARIANT_ADD(port_unplug, pciehp) { .slot_driver = "pciehp" };
FIXTURE_VARIANT_ADD(port_unplug, pciehp_power) { .slot_driver = "pciehp", .power = true };
FIXTURE_VARIANT_ADD(port_unplug, acpiphp) { .slot_driver = "acpiphp" };

FIXTURE_SETUP(port_unplug)
{
	const char *want = variant->slot_driver;
	char slot[NAME_MAX + 1];
	int ret;

	self->host.fd = -1;
	if (strcmp(prt_boot_hotplug(), strcmp(want, "pciehp") ? "acpi" : "native"))
		SKIP(return, "needs %s: boot with the other HOTPLUG mode", want);
	if (access(PRT_DEBUGFS_DIR "/" PRT_DRV_VF, F_OK))
		SKIP(return, "helper drivers not loaded");
	ret = prt_host_open(&self->host);
	if (ret)
		SKIP(return, "no host channel on %s: %s", PRT_HOST_TTY, strerror(-ret));
	ASSERT_EQ(0, prt_find_dev(PRT_ATS_VENDOR, PRT_ATS_DEVICE, self->ats, sizeof(self->ats)));
	ASSERT_EQ(0, prt_parent(self->ats, self->port, sizeof(self->port)));
	ASSERT_STREQ(want, prt_slot_driver(self->ats));
	ASSERT_EQ(0, prt_slot_name(self->ats, slot, sizeof(slot)));
	snprintf(self->power, sizeof(self->power), "/sys/bus/pci/slots/%s/power", slot);
	ASSERT_EQ(0, prt_rebind(self->ats, PRT_DRV_VF));
}

FIXTURE_TEARDOWN(port_unplug)
{
	char why[512];
	bool stuck;

	prt_park_ctl(PRT_DRV_VF, "release", "1");
	stuck = prt_stuck(self->remover, 1);
	stuck |= prt_stuck(self->emptier, PRT_HOST_DEL_SECS);
	/* A stuck removal holds the rescan/remove lock: a rescan would hang. */
	if (!stuck) {
		prt_write("/sys/bus/pci/rescan", "1");
		/*
		 * QEMU deletes a device whose slot the guest powers off, too.
		 * pciehp adds it back on its own time: wait for it.
		 */
		if (!prt_exists(self->ats) &&
		    !prt_host_cmd(&self->host, why, sizeof(why), PRT_HOST_ADD_SECS,
				  "device_add %s", PRT_HOST_ATS_ID))
			prt_back(self->ats, "virtio-pci");
		prt_rebind(self->ats, "");
	}
	prt_host_close(&self->host);
}

TEST_F_TIMEOUT(port_unplug, removal_ends, PRT_HOST_DEL_SECS + PRT_HOST_ADD_SECS +
	       4 * PRT_LOCK_WAIT_SECS)
{
	int status;

	/* 1. The port's removal holds the rescan/remove lock, parked in prt_vf. */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "stall", PRT_CB_REMOVE));
	self->remover = prt_write_async(self->port, "remove", "1");
	ASSERT_LT(0, self->remover);
	ASSERT_TRUE(prt_wait_parked(PRT_DRV_VF, PRT_CB_REMOVE, 1));

	/* 2. The slot is to be emptied; pciehp's IRQ thread waits for the lock. */
	if (variant->power)
		self->emptier = prt_path_write_async(self->power, "0");
	else
		self->emptier = prt_unplug_async(&self->host, PRT_HOST_ATS_ID);
	ASSERT_LT(0, self->emptier);
	if (strcmp(variant->slot_driver, "pciehp")) {
		ASSERT_TRUE(prt_wait_acpiphp_blocked(PRT_HOST_DEL_SECS))
			TH_LOG("acpiphp's notify work never waited for the rescan lock");
	} else {
		ASSERT_TRUE(prt_wait_pciehp_blocked(PRT_HOST_DEL_SECS))
			TH_LOG("pciehp never waited for the rescan lock");
	}

	/* 3. The removal goes on to the port, and both end. */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "release", "1"));
	ASSERT_TRUE(prt_exited_within(self->remover, PRT_LOCK_WAIT_SECS, &status))
		TH_LOG("the port's removal waits for pciehp's IRQ thread, which waits for its lock");
	self->remover = 0;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_FALSE(prt_exists(self->port));
	if (strcmp(variant->slot_driver, "pciehp")) {
		/*
		 * acpiphp's notify work found the slot's bridge gone and dropped
		 * the host's eject request, as v7.3.4 does: QEMU still waits for
		 * it. A rescan brings the slot back, and its "power" file ejects.
		 */
		ASSERT_EQ(0, prt_write("/sys/bus/pci/rescan", "1"));
		ASSERT_EQ(0, prt_write(self->power, "0"));
	}
	ASSERT_TRUE(prt_exited_within(self->emptier, PRT_HOST_DEL_SECS, &status));
	self->emptier = 0;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("emptying the slot ended with %s", strerror(WEXITSTATUS(status)));
}

TEST_HARNESS_MAIN
