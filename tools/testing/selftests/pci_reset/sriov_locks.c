// SPDX-License-Identifier: GPL-2.0
/*
 * sriov_numvfs against removals of the PF, and VFs removed by the PF
 * driver's remove(), on the NVMe SR-IOV PF bound to prt_sriov_pf.
 *
 * race: a write to sriov_numvfs, disabling or enabling VFs, while a removal
 * of the PF waits for the rescan/remove lock. Another removal holds that
 * lock, parked in prt_vf's remove() on the ATS device. The test queues the
 * PF's removal behind it (sysfs remove of the PF or of its Root Port, a
 * pciehp or acpiphp hot-unplug by the host), then the write, and lets the
 * parked removal go. The lock goes to the PF's removal, which unbinds the
 * PF's driver and so takes the PF's device lock. A write that holds that
 * device lock while it waits for the rescan/remove lock never lets go:
 * both wait for good.
 *
 * pf_driver: the PF driver's remove() disables SR-IOV on sysfs unbind and
 * on rmmod, where nobody holds the rescan/remove lock for it.
 *
 * pf_pair: the PF driver's unbind, bind, rmmod or modprobe against a
 * removal, a sriov_numvfs write or a rescan (see below).
 */
#include "prt_host.h"
#include "prt_park.h"
#include "kselftest_harness.h"

#include <sys/syscall.h>

/* Twice the hung-task timeout, 10 s: long enough to call it stuck. */
#define PRT_STUCK_SECS		20

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	(PRT_HOST_DEL_SECS + PRT_HOST_ADD_SECS + \
				 3 * PRT_STUCK_SECS + 2 * PRT_BIND_SECS + 30)

enum prt_removal { PRT_REMOVE_PF, PRT_REMOVE_PORT, PRT_UNPLUG_PCIEHP, PRT_UNPLUG_ACPIPHP };

/*
 * Everything removed is back after a rescan, bound to its own driver: the
 * PF to @pf_drv, or to none if @pf_drv is NULL.
 */
static void prt_expect_back(struct __test_metadata *_metadata, const char *pf,
			    const char *pf_drv, const char *ats)
{
	ASSERT_EQ(0, prt_write("/sys/bus/pci/rescan", "1"));
	EXPECT_TRUE(pf_drv ? prt_back(pf, pf_drv) : prt_exists(pf));
	EXPECT_TRUE(prt_back(ats, "virtio-pci"));
}

/* The PF on prt_sriov_pf, whose probe() enabled two VFs, left unbound. */
static void prt_pf_setup(struct __test_metadata *_metadata, const char *pf)
{
	char drv[64] = "";

	ASSERT_EQ(0, prt_dev_write(pf, "sriov_numvfs", "0"));
	ASSERT_EQ(0, prt_dev_write(pf, "sriov_drivers_autoprobe", "0"));
	ASSERT_EQ(0, prt_rebind(pf, PRT_DRV_SRIOV_PF));
	ASSERT_EQ(0, prt_driver(pf, drv, sizeof(drv)));
	ASSERT_STREQ(PRT_DRV_SRIOV_PF, drv);
	ASSERT_EQ(2, prt_num_virtfns(pf));
}

FIXTURE(race) {
	struct prt_host host;
	char pf[16], port[16], ats[16];
	pid_t parker, remover, writer;
};

FIXTURE_VARIANT(race) {
	enum prt_removal removal;
	const char *numvfs;
};

#define PRT_RACE(name, how, vfs)					\
	FIXTURE_VARIANT_ADD(race, name) { .removal = how, .numvfs = vfs }

PRT_RACE(disable_vs_pf_remove, PRT_REMOVE_PF, "0");
PRT_RACE(enable_vs_pf_remove, PRT_REMOVE_PF, "2");
PRT_RACE(disable_vs_port_remove, PRT_REMOVE_PORT, "0");
PRT_RACE(enable_vs_port_remove, PRT_REMOVE_PORT, "2");
PRT_RACE(disable_vs_pciehp_unplug, PRT_UNPLUG_PCIEHP, "0");
PRT_RACE(enable_vs_pciehp_unplug, PRT_UNPLUG_PCIEHP, "2");
PRT_RACE(disable_vs_acpiphp_unplug, PRT_UNPLUG_ACPIPHP, "0");
PRT_RACE(enable_vs_acpiphp_unplug, PRT_UNPLUG_ACPIPHP, "2");

static bool prt_unplugs(const FIXTURE_VARIANT(race) *v)
{
	return v->removal == PRT_UNPLUG_PCIEHP || v->removal == PRT_UNPLUG_ACPIPHP;
}

FIXTURE_SETUP(race)
{
	const char *mode = variant->removal == PRT_UNPLUG_PCIEHP ? "native" : "acpi";
	int ret;

	if (prt_unplugs(variant) && strcmp(prt_boot_hotplug(), mode))
		SKIP(return, "needs HOTPLUG=%s", mode);
	if (access(PRT_DEBUGFS_DIR "/" PRT_DRV_SRIOV_PF, F_OK))
		SKIP(return, "helper drivers not loaded");
	ret = prt_host_open(&self->host);
	if (ret && prt_unplugs(variant))
		SKIP(return, "no host channel on %s: %s", PRT_HOST_TTY, strerror(-ret));
	ASSERT_EQ(0, prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, self->pf, sizeof(self->pf)));
	ASSERT_EQ(0, prt_find_dev(PRT_ATS_VENDOR, PRT_ATS_DEVICE, self->ats, sizeof(self->ats)));
	ASSERT_EQ(0, prt_parent(self->pf, self->port, sizeof(self->port)));
	prt_pf_setup(_metadata, self->pf);
	if (strcmp(variant->numvfs, "0"))
		ASSERT_EQ(0, prt_dev_write(self->pf, "sriov_numvfs", "0"));
	ASSERT_EQ(0, prt_rebind(self->ats, PRT_DRV_VF));
}

/* Let everything go; what is stuck stays stuck, and the test failed. */
FIXTURE_TEARDOWN(race)
{
	int status;

	prt_park_ctl(PRT_DRV_VF, "release", "1");
	if (self->parker > 0)
		prt_exited_within(self->parker, 1, &status);
	if (self->writer > 0)
		prt_exited_within(self->writer, 1, &status);
	if (self->remover > 0)
		prt_exited_within(self->remover, 1, &status);
	prt_host_close(&self->host);
}

TEST_F(race, numvfs_vs_removal)
{
	const char *queued = "a removal";
	char why[512];
	int status;

	/* 1. A removal holds the rescan/remove lock, parked in prt_vf. */
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "stall", PRT_CB_REMOVE));
	self->parker = prt_write_async(self->ats, "remove", "1");
	ASSERT_LT(0, self->parker);
	ASSERT_TRUE(prt_wait_parked(PRT_DRV_VF, PRT_CB_REMOVE, 1));

	/* 2. The PF's removal waits for the lock. */
	switch (variant->removal) {
	case PRT_REMOVE_PF:
		self->remover = prt_write_async(self->pf, "remove", "1");
		queued = prt_wait_blocked(self->remover, PRT_STUCK_SECS) ? "" : "sysfs remove";
		break;
	case PRT_REMOVE_PORT:
		self->remover = prt_write_async(self->port, "remove", "1");
		queued = prt_wait_blocked(self->remover, PRT_STUCK_SECS) ? "" : "sysfs remove";
		break;
	case PRT_UNPLUG_PCIEHP:
		self->remover = prt_unplug_async(&self->host, PRT_HOST_NVME_ID);
		queued = prt_wait_pciehp_blocked(PRT_HOST_DEL_SECS) ? "" : "pciehp";
		break;
	case PRT_UNPLUG_ACPIPHP:
		self->remover = prt_unplug_async(&self->host, PRT_HOST_NVME_ID);
		queued = prt_wait_acpiphp_blocked(PRT_HOST_DEL_SECS) ? "" : "acpiphp";
		break;
	}
	ASSERT_LT(0, self->remover);
	ASSERT_STREQ("", queued) TH_LOG("%s never waited for the rescan/remove lock", queued);

	/* 3. The write waits too, then the parked removal goes. */
	self->writer = prt_write_async(self->pf, "sriov_numvfs", variant->numvfs);
	ASSERT_LT(0, self->writer);
	ASSERT_TRUE(prt_wait_blocked(self->writer, PRT_STUCK_SECS));
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_VF, "release", "1"));
	ASSERT_TRUE(prt_exited_within(self->parker, PRT_STUCK_SECS, &status));
	self->parker = 0;

	/* 4. Both end: the write done first, or refused for a removed PF. */
	ASSERT_TRUE(prt_exited_within(self->writer, PRT_STUCK_SECS, &status))
		TH_LOG("the sriov_numvfs write and the PF's removal wait for each other");
	self->writer = 0;
	EXPECT_TRUE(WIFEXITED(status) &&
		    (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == ENODEV))
		TH_LOG("the write failed: %s", strerror(WEXITSTATUS(status)));
	ksft_print_msg("sriov_numvfs < %s: %s\n", variant->numvfs,
		       WEXITSTATUS(status) ? strerror(WEXITSTATUS(status)) : "done");
	ASSERT_TRUE(prt_exited_within(self->remover, prt_unplugs(variant) ?
				      PRT_HOST_DEL_SECS : PRT_STUCK_SECS, &status));
	self->remover = 0;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_TRUE(prt_removed(self->pf));

	/* 5. And all comes back. */
	if (prt_unplugs(variant))
		ASSERT_EQ(0, prt_host_cmd(&self->host, why, sizeof(why), PRT_HOST_ADD_SECS,
					  "device_add %s", PRT_HOST_NVME_ID))
			TH_LOG("%s", why);
	prt_expect_back(_metadata, self->pf, "nvme", self->ats);
}

/* Load prt_sriov_pf again, with @params. */
static int prt_pf_load(const char *params)
{
	int fd, ret;

	fd = open("/lib/modules/" PRT_DRV_SRIOV_PF ".ko", O_RDONLY);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

FIXTURE(pf_driver) {
	char pf[16];
	int kmsg;
};

FIXTURE_SETUP(pf_driver)
{
	if (access(PRT_DEBUGFS_DIR "/" PRT_DRV_SRIOV_PF, F_OK))
		SKIP(return, "helper drivers not loaded");
	ASSERT_EQ(0, prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, self->pf, sizeof(self->pf)));
	prt_pf_setup(_metadata, self->pf);
	self->kmsg = prt_kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(pf_driver)
{
	prt_dev_write(self->pf, "sriov_numvfs", "0");
	prt_rebind(self->pf, "");
	prt_dev_write(self->pf, "sriov_drivers_autoprobe", "1");
	close(self->kmsg);
}

TEST_F(pf_driver, unbind_removes_vfs)
{
	ASSERT_EQ(0, prt_write("/sys/bus/pci/drivers/" PRT_DRV_SRIOV_PF "/unbind", self->pf));
	EXPECT_EQ(0, prt_num_virtfns(self->pf));
	EXPECT_EQ(0, prt_kmsg_warnings(self->kmsg))
		TH_LOG("VFs were removed without the rescan/remove lock");
}

TEST_F(pf_driver, rmmod_removes_vfs)
{
	ASSERT_EQ(0, syscall(SYS_delete_module, PRT_DRV_SRIOV_PF, O_NONBLOCK));
	EXPECT_EQ(0, prt_num_virtfns(self->pf));
	EXPECT_EQ(0, prt_kmsg_warnings(self->kmsg))
		TH_LOG("VFs were removed without the rescan/remove lock");
	EXPECT_EQ(0, prt_pf_load(""));
}

/*
 * pf_pair: the PF driver's own unbind, bind, rmmod or modprobe, held where
 * it holds the PF's device lock (its remove() or probe() parks), against a
 * removal of the PF or of its Root Port, or a write to sriov_numvfs. The
 * removal holds the rescan/remove lock and waits for that device lock, and
 * the write waits for it too; the held task, let go, disables or enables
 * SR-IOV. A rescan of the Root Port is held the same way, in the probe of
 * the PF it found, with the rescan/remove lock held: on topology=numa only,
 * where the PF's driver binds it by ID (the VM has no nvme driver) and
 * pci_call_probe() would probe it in a worker. The PF driver's own unbind,
 * bind or rmmod waits for that probe too. A rescan while the PF driver is
 * held finds the PF added and ends: it must not wait for the driver.
 * No modprobe waits for the held rescan: the module is the one probing.
 * A rescan behind a held rescan or hot-add waits for the rescan/remove
 * lock, and must end once they do.
 * The host's hot-add of the PF is held the same way, in pciehp's IRQ
 * thread, on the numa topology, and in acpiphp's notify work, which also
 * holds acpi_scan_lock, on topology=nvme-unbound: QEMU gives the numa
 * topology's expander native hot-plug, so acpiphp has no slot there.
 */
enum prt_pf_op { PRT_UNBIND, PRT_BIND, PRT_RMMOD, PRT_MODPROBE, PRT_RESCAN, PRT_HOTADD };
enum prt_pf_other {
	PRT_OTHER_PORT_REMOVE, PRT_OTHER_PF_REMOVE, PRT_OTHER_NUMVFS,
	PRT_OTHER_PCIEHP_UNPLUG, PRT_OTHER_ACPIPHP_UNPLUG, PRT_OTHER_RESCAN,
	PRT_OTHER_UNBIND, PRT_OTHER_BIND, PRT_OTHER_RMMOD,
};

FIXTURE(pf_pair) {
	struct prt_host host;
	char pf[16], port[16], ats[16];
	pid_t held, other;
	int kmsg;
};

FIXTURE_VARIANT(pf_pair) {
	enum prt_pf_op held;
	enum prt_pf_other other;
	bool numa;	/* the PF on node 1: its probe() runs in a worker */
	bool acpiphp;	/* a hot-add through acpiphp, not pciehp */
	bool write_enables;	/* the PF's probe() enables no VFs: the write does */
};

#define PRT_PF_PAIR(name, op, with)					\
	FIXTURE_VARIANT_ADD(pf_pair, name) { .held = op, .other = with }
#define PRT_PF_PAIR_NUMA(name, op, with)				\
	FIXTURE_VARIANT_ADD(pf_pair, numa_##name) { .held = op, .other = with, .numa = true }
#define PRT_PF_PAIR_ACPI(name, op, with)				\
	FIXTURE_VARIANT_ADD(pf_pair, acpiphp_##name) { .held = op, .other = with, .acpiphp = true }

/* The PF's IDs, which prt_sriov_pf binds on topology=numa for a rescan. */
#define PRT_PF_NEW_ID	"1b36 0010"

PRT_PF_PAIR(unbind_vs_port_remove, PRT_UNBIND, PRT_OTHER_PORT_REMOVE);
PRT_PF_PAIR(unbind_vs_pf_remove, PRT_UNBIND, PRT_OTHER_PF_REMOVE);
PRT_PF_PAIR(unbind_vs_numvfs, PRT_UNBIND, PRT_OTHER_NUMVFS);
PRT_PF_PAIR(bind_vs_port_remove, PRT_BIND, PRT_OTHER_PORT_REMOVE);
PRT_PF_PAIR(bind_vs_pf_remove, PRT_BIND, PRT_OTHER_PF_REMOVE);
PRT_PF_PAIR(bind_vs_numvfs, PRT_BIND, PRT_OTHER_NUMVFS);
PRT_PF_PAIR(rmmod_vs_port_remove, PRT_RMMOD, PRT_OTHER_PORT_REMOVE);
PRT_PF_PAIR(rmmod_vs_pf_remove, PRT_RMMOD, PRT_OTHER_PF_REMOVE);
PRT_PF_PAIR(rmmod_vs_numvfs, PRT_RMMOD, PRT_OTHER_NUMVFS);
PRT_PF_PAIR(modprobe_vs_port_remove, PRT_MODPROBE, PRT_OTHER_PORT_REMOVE);
PRT_PF_PAIR(modprobe_vs_pf_remove, PRT_MODPROBE, PRT_OTHER_PF_REMOVE);
PRT_PF_PAIR(modprobe_vs_numvfs, PRT_MODPROBE, PRT_OTHER_NUMVFS);
PRT_PF_PAIR(unbind_vs_pciehp_unplug, PRT_UNBIND, PRT_OTHER_PCIEHP_UNPLUG);
PRT_PF_PAIR(bind_vs_pciehp_unplug, PRT_BIND, PRT_OTHER_PCIEHP_UNPLUG);
PRT_PF_PAIR(rmmod_vs_pciehp_unplug, PRT_RMMOD, PRT_OTHER_PCIEHP_UNPLUG);
PRT_PF_PAIR(modprobe_vs_pciehp_unplug, PRT_MODPROBE, PRT_OTHER_PCIEHP_UNPLUG);
PRT_PF_PAIR(unbind_vs_acpiphp_unplug, PRT_UNBIND, PRT_OTHER_ACPIPHP_UNPLUG);
PRT_PF_PAIR(bind_vs_acpiphp_unplug, PRT_BIND, PRT_OTHER_ACPIPHP_UNPLUG);
PRT_PF_PAIR(rmmod_vs_acpiphp_unplug, PRT_RMMOD, PRT_OTHER_ACPIPHP_UNPLUG);
PRT_PF_PAIR(modprobe_vs_acpiphp_unplug, PRT_MODPROBE, PRT_OTHER_ACPIPHP_UNPLUG);
PRT_PF_PAIR(unbind_vs_rescan, PRT_UNBIND, PRT_OTHER_RESCAN);
PRT_PF_PAIR(bind_vs_rescan, PRT_BIND, PRT_OTHER_RESCAN);
PRT_PF_PAIR(rmmod_vs_rescan, PRT_RMMOD, PRT_OTHER_RESCAN);
PRT_PF_PAIR(modprobe_vs_rescan, PRT_MODPROBE, PRT_OTHER_RESCAN);
/* Where the held task probes, on topology=numa too. */
PRT_PF_PAIR_NUMA(bind_vs_port_remove, PRT_BIND, PRT_OTHER_PORT_REMOVE);
PRT_PF_PAIR_NUMA(bind_vs_pf_remove, PRT_BIND, PRT_OTHER_PF_REMOVE);
PRT_PF_PAIR_NUMA(bind_vs_numvfs, PRT_BIND, PRT_OTHER_NUMVFS);
PRT_PF_PAIR_NUMA(modprobe_vs_port_remove, PRT_MODPROBE, PRT_OTHER_PORT_REMOVE);
PRT_PF_PAIR_NUMA(modprobe_vs_pf_remove, PRT_MODPROBE, PRT_OTHER_PF_REMOVE);
PRT_PF_PAIR_NUMA(modprobe_vs_numvfs, PRT_MODPROBE, PRT_OTHER_NUMVFS);
PRT_PF_PAIR_NUMA(bind_vs_rescan, PRT_BIND, PRT_OTHER_RESCAN);
PRT_PF_PAIR_NUMA(modprobe_vs_rescan, PRT_MODPROBE, PRT_OTHER_RESCAN);
PRT_PF_PAIR_NUMA(rescan_vs_port_remove, PRT_RESCAN, PRT_OTHER_PORT_REMOVE);
PRT_PF_PAIR_NUMA(rescan_vs_pf_remove, PRT_RESCAN, PRT_OTHER_PF_REMOVE);
PRT_PF_PAIR_NUMA(rescan_vs_numvfs, PRT_RESCAN, PRT_OTHER_NUMVFS);
/* The write enables SR-IOV after the held probe, before the PF is marked added. */
FIXTURE_VARIANT_ADD(pf_pair, numa_rescan_vs_numvfs_enable) {
	.held = PRT_RESCAN, .other = PRT_OTHER_NUMVFS, .numa = true, .write_enables = true,
};
PRT_PF_PAIR_NUMA(rescan_vs_pciehp_unplug, PRT_RESCAN, PRT_OTHER_PCIEHP_UNPLUG);
PRT_PF_PAIR_NUMA(rescan_vs_unbind, PRT_RESCAN, PRT_OTHER_UNBIND);
PRT_PF_PAIR_NUMA(rescan_vs_bind, PRT_RESCAN, PRT_OTHER_BIND);
PRT_PF_PAIR_NUMA(rescan_vs_rmmod, PRT_RESCAN, PRT_OTHER_RMMOD);
PRT_PF_PAIR_NUMA(rescan_vs_rescan, PRT_RESCAN, PRT_OTHER_RESCAN);
PRT_PF_PAIR_NUMA(hotadd_vs_port_remove, PRT_HOTADD, PRT_OTHER_PORT_REMOVE);
PRT_PF_PAIR_NUMA(hotadd_vs_pf_remove, PRT_HOTADD, PRT_OTHER_PF_REMOVE);
PRT_PF_PAIR_NUMA(hotadd_vs_numvfs, PRT_HOTADD, PRT_OTHER_NUMVFS);
PRT_PF_PAIR_NUMA(hotadd_vs_unbind, PRT_HOTADD, PRT_OTHER_UNBIND);
PRT_PF_PAIR_NUMA(hotadd_vs_bind, PRT_HOTADD, PRT_OTHER_BIND);
PRT_PF_PAIR_NUMA(hotadd_vs_rmmod, PRT_HOTADD, PRT_OTHER_RMMOD);
PRT_PF_PAIR_NUMA(hotadd_vs_rescan, PRT_HOTADD, PRT_OTHER_RESCAN);
PRT_PF_PAIR_ACPI(hotadd_vs_port_remove, PRT_HOTADD, PRT_OTHER_PORT_REMOVE);
PRT_PF_PAIR_ACPI(hotadd_vs_pf_remove, PRT_HOTADD, PRT_OTHER_PF_REMOVE);
PRT_PF_PAIR_ACPI(hotadd_vs_numvfs, PRT_HOTADD, PRT_OTHER_NUMVFS);
PRT_PF_PAIR_ACPI(hotadd_vs_unbind, PRT_HOTADD, PRT_OTHER_UNBIND);
PRT_PF_PAIR_ACPI(hotadd_vs_bind, PRT_HOTADD, PRT_OTHER_BIND);
PRT_PF_PAIR_ACPI(hotadd_vs_rmmod, PRT_HOTADD, PRT_OTHER_RMMOD);
PRT_PF_PAIR_ACPI(hotadd_vs_rescan, PRT_HOTADD, PRT_OTHER_RESCAN);
PRT_PF_PAIR_ACPI(rescan_vs_acpiphp_unplug, PRT_RESCAN, PRT_OTHER_ACPIPHP_UNPLUG);

static bool prt_pf_op_binds(enum prt_pf_op op)
{
	return op != PRT_UNBIND && op != PRT_RMMOD;
}

/* Is the PF found by a scan, and bound by ID? */
static bool prt_pf_op_scans(enum prt_pf_op op)
{
	return op == PRT_RESCAN || op == PRT_HOTADD;
}

/* Does the other side take the PF away? */
static bool prt_pf_other_removes(enum prt_pf_other other)
{
	return other == PRT_OTHER_PORT_REMOVE || other == PRT_OTHER_PF_REMOVE ||
	       other == PRT_OTHER_PCIEHP_UNPLUG || other == PRT_OTHER_ACPIPHP_UNPLUG;
}

/* The hot-plug mode a host's unplug needs, or NULL for the guest's own. */
static const char *prt_pf_other_mode(enum prt_pf_other other)
{
	switch (other) {
	case PRT_OTHER_PCIEHP_UNPLUG:
		return "native";
	case PRT_OTHER_ACPIPHP_UNPLUG:
		return "acpi";
	default:
		return NULL;
	}
}

/* The hot-plug mode the host's unplug or hot-add needs, or NULL for none. */
static const char *prt_pf_mode(const FIXTURE_VARIANT(pf_pair) *v)
{
	if (v->held == PRT_HOTADD)
		return v->acpiphp ? "acpi" : "native";
	return prt_pf_other_mode(v->other);
}

/* The driver that binds the PF a scan finds, where the VM has nvme. */
static const char *prt_pf_scan_driver(void)
{
	return access("/sys/bus/pci/drivers/nvme", F_OK) ? NULL : "nvme";
}

FIXTURE_SETUP(pf_pair)
{
	const char *mode = prt_pf_mode(variant);
	int ret;

	if (mode && strcmp(prt_boot_hotplug(), mode))
		SKIP(return, "needs HOTPLUG=%s", mode);
	if (access(PRT_DEBUGFS_DIR "/" PRT_DRV_SRIOV_PF, F_OK))
		SKIP(return, "helper drivers not loaded");
	ret = prt_host_open(&self->host);
	if (ret && mode)
		SKIP(return, "no host channel on %s: %s", PRT_HOST_TTY, strerror(-ret));
	ASSERT_EQ(0, prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, self->pf, sizeof(self->pf)));
	ASSERT_EQ(0, prt_find_dev(PRT_ATS_VENDOR, PRT_ATS_DEVICE, self->ats, sizeof(self->ats)));
	ASSERT_EQ(0, prt_parent(self->pf, self->port, sizeof(self->port)));
	if (variant->numa && prt_dev_hex(self->pf, "numa_node") != 1)
		SKIP(return, "%s is not on NUMA node 1: needs topology=numa", self->pf);
	if (prt_pf_op_scans(variant->held) && prt_pf_scan_driver())
		SKIP(return, "nvme would bind the PF a scan finds: needs topology=numa or nvme-unbound");
	prt_pf_setup(_metadata, self->pf);
	self->kmsg = prt_kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(pf_pair)
{
	char why[512];
	bool stuck;

	prt_park_ctl(PRT_DRV_SRIOV_PF, "release", "1");
	stuck = prt_stuck(self->held, 1);
	stuck |= prt_stuck(self->other, 1);
	/*
	 * The PF as the tests after this one expect it: no VFs, its own
	 * driver, prt_sriov_pf loaded. Not if a task is stuck: it may hold
	 * the PF's device lock.
	 */
	if (variant->write_enables)
		prt_write(PRT_PF_NUM_VFS, "2");
	if (prt_pf_op_scans(variant->held)) {
		prt_write(PRT_PAUSE_ADDED, "0");
		prt_write("/sys/bus/pci/drivers/" PRT_DRV_SRIOV_PF "/remove_id", PRT_PF_NEW_ID);
	}
	if (!stuck) {
		/* A test that stopped early did not plug the PF back. */
		if (prt_pf_mode(variant) && !prt_exists(self->pf))
			prt_host_cmd(&self->host, why, sizeof(why), PRT_HOST_ADD_SECS,
				     "device_add %s", PRT_HOST_NVME_ID);
		if (!prt_exists(self->pf))
			prt_write("/sys/bus/pci/rescan", "1");
		if (access("/sys/module/" PRT_DRV_SRIOV_PF, F_OK))
			prt_pf_load("");
		prt_dev_write(self->pf, "sriov_numvfs", "0");
		prt_rebind(self->pf, "");
		prt_dev_write(self->pf, "sriov_drivers_autoprobe", "1");
	}
	close(self->kmsg);
	prt_host_close(&self->host);
}

/* In a child: unload prt_sriov_pf, or load it with its probe() held. */
static pid_t prt_module_async(bool load)
{
	pid_t pid = fork();

	if (!pid) {
		if (load)
			_exit(prt_pf_load("stall_probe=1") ? 1 : 0);
		_exit(syscall(SYS_delete_module, PRT_DRV_SRIOV_PF, O_NONBLOCK) ? 1 : 0);
	}
	return pid;
}

/*
 * Hold the PF driver's unbind or rmmod in remove(), its bind or modprobe in
 * probe(), a rescan of @port or the host's hot-add in the probe of the PF
 * they find.
 */
static pid_t prt_hold_pf(struct __test_metadata *_metadata, struct prt_host *host,
			 const char *pf, const char *port, enum prt_pf_op op)
{
	bool binds = prt_pf_op_binds(op);
	char why[512];
	pid_t pid = -1;

	if (prt_pf_op_scans(op)) {
		ASSERT_EQ(0, prt_write("/sys/bus/pci/drivers/" PRT_DRV_SRIOV_PF "/new_id",
				       PRT_PF_NEW_ID));
		/*
		 * The PF's device lock goes to the other side before the scan
		 * marks the PF added, as when the scan's task is preempted.
		 * Long enough for a guest on a busy host to run that side.
		 */
		ASSERT_EQ(0, prt_write(PRT_PAUSE_ADDED, "2000"));
		if (op == PRT_RESCAN) {
			ASSERT_EQ(0, prt_dev_write(pf, "remove", "1"));
		} else {
			ASSERT_EQ(0, prt_host_cmd(host, why, sizeof(why), PRT_HOST_DEL_SECS,
						  "device_del %s", PRT_HOST_NVME_ID))
				TH_LOG("%s", why);
		}
		ASSERT_TRUE(prt_removed(pf));
	} else if (binds) {
		/* Without VFs, which base would remove unlocked, and warn. */
		ASSERT_EQ(0, prt_dev_write(pf, "sriov_numvfs", "0"));
		ASSERT_EQ(0, prt_write("/sys/bus/pci/drivers/" PRT_DRV_SRIOV_PF "/unbind", pf));
	}
	switch (op) {
	case PRT_UNBIND:
		ASSERT_EQ(0, prt_park_ctl(PRT_DRV_SRIOV_PF, "stall", PRT_CB_REMOVE));
		pid = prt_write_async(pf, "driver/unbind", pf);
		break;
	case PRT_RMMOD:
		ASSERT_EQ(0, prt_park_ctl(PRT_DRV_SRIOV_PF, "stall", PRT_CB_REMOVE));
		pid = prt_module_async(false);
		break;
	case PRT_BIND:
		ASSERT_EQ(0, prt_park_ctl(PRT_DRV_SRIOV_PF, "stall", PRT_CB_PROBE));
		pid = prt_write_async(pf, "subsystem/drivers/" PRT_DRV_SRIOV_PF "/bind", pf);
		break;
	case PRT_MODPROBE:
		ASSERT_EQ(0, syscall(SYS_delete_module, PRT_DRV_SRIOV_PF, O_NONBLOCK));
		pid = prt_module_async(true);
		break;
	case PRT_RESCAN:
		ASSERT_EQ(0, prt_park_ctl(PRT_DRV_SRIOV_PF, "stall", PRT_CB_PROBE));
		pid = prt_write_async(port, "rescan", "1");
		break;
	case PRT_HOTADD:
		ASSERT_EQ(0, prt_park_ctl(PRT_DRV_SRIOV_PF, "stall", PRT_CB_PROBE));
		pid = prt_hotplug_async(host, PRT_HOST_NVME_ID, true);
		break;
	}
	ASSERT_LT(0, pid);
	ASSERT_TRUE(prt_wait_parked(PRT_DRV_SRIOV_PF, binds ? PRT_CB_PROBE : PRT_CB_REMOVE, 1));
	return pid;
}

/*
 * Both tasks end, without a warning. A removal takes the PF away, and a
 * rescan brings it back; a write ends with the VFs the held task left.
 */
TEST_F(pf_pair, both_end)
{
	bool binds = prt_pf_op_binds(variant->held);
	int held, other, workers;
	char why[512];
	bool waiter, refused;

	/* A modprobe counts from 0 again. */
	workers = variant->held == PRT_MODPROBE ? 0 : prt_probes_in_worker();
	if (variant->write_enables)
		ASSERT_EQ(0, prt_write(PRT_PF_NUM_VFS, "0"));
	self->held = prt_hold_pf(_metadata, &self->host, self->pf, self->port, variant->held);
	/*
	 * The topology does what it is for: the held probe runs in a worker,
	 * but for a rescan's or a hot-add's, which may probe in the task that
	 * holds the rescan/remove lock.
	 */
	if (variant->numa && !prt_pf_op_scans(variant->held))
		ASSERT_EQ(workers + 1, prt_probes_in_worker());
	switch (variant->other) {
	case PRT_OTHER_PORT_REMOVE:
		self->other = prt_write_async(self->port, "remove", "1");
		break;
	case PRT_OTHER_PF_REMOVE:
		self->other = prt_write_async(self->pf, "remove", "1");
		break;
	case PRT_OTHER_NUMVFS:
		self->other = prt_write_async(self->pf, "sriov_numvfs", binds ? "2" : "0");
		break;
	case PRT_OTHER_PCIEHP_UNPLUG:
	case PRT_OTHER_ACPIPHP_UNPLUG:
		self->other = prt_unplug_async(&self->host, PRT_HOST_NVME_ID);
		break;
	case PRT_OTHER_RESCAN:
		self->other = prt_write_async(self->port, "rescan", "1");
		break;
	case PRT_OTHER_UNBIND:
		self->other = prt_write_async(self->pf, "subsystem/drivers/" PRT_DRV_SRIOV_PF
					      "/unbind", self->pf);
		break;
	case PRT_OTHER_BIND:
		self->other = prt_write_async(self->pf, "subsystem/drivers/" PRT_DRV_SRIOV_PF
					      "/bind", self->pf);
		break;
	case PRT_OTHER_RMMOD:
		self->other = prt_module_async(false);
		break;
	}
	ASSERT_LT(0, self->other);
	/* A hot-unplug waits in pciehp's IRQ thread or acpiphp's worker. */
	switch (variant->other) {
	case PRT_OTHER_PCIEHP_UNPLUG:
		waiter = prt_wait_pciehp_blocked(PRT_HOST_DEL_SECS);
		break;
	case PRT_OTHER_ACPIPHP_UNPLUG:
		waiter = prt_wait_acpiphp_blocked(PRT_HOST_DEL_SECS);
		break;
	case PRT_OTHER_RESCAN:
		/* Behind a held scan it waits for the rescan/remove lock. */
		if (prt_pf_op_scans(variant->held)) {
			waiter = prt_wait_blocked(self->other, PRT_STUCK_SECS);
			break;
		}
		ASSERT_TRUE(prt_exited_within(self->other, PRT_STUCK_SECS, &other))
			TH_LOG("a rescan waited for the held PF driver");
		self->other = 0;
		waiter = true;
		break;
	default:
		waiter = prt_wait_blocked(self->other, PRT_STUCK_SECS);
		break;
	}
	ASSERT_TRUE(waiter) TH_LOG("the other side never waited for the PF's device lock");
	ASSERT_EQ(0, prt_park_ctl(PRT_DRV_SRIOV_PF, "release", "1"));
	ASSERT_TRUE(prt_exited_within(self->held, PRT_STUCK_SECS, &held))
		TH_LOG("the PF driver's task never ended");
	self->held = 0;
	if (self->other > 0)
		ASSERT_TRUE(prt_exited_within(self->other, prt_pf_other_mode(variant->other) ?
					      PRT_HOST_DEL_SECS : PRT_STUCK_SECS, &other))
			TH_LOG("the PF driver's task and the other task wait for each other");
	self->other = 0;
	/* prt_sriov_pf disables SR-IOV: nothing may blame it for not doing so. */
	EXPECT_EQ(0, prt_kmsg_warnings_or(self->kmsg, "driver left SR-IOV enabled"));
	EXPECT_TRUE(WIFEXITED(held));
	/*
	 * A bind after the held rescan's finds the PF bound. A write that
	 * enables SR-IOV of a PF not yet marked added may be refused.
	 */
	refused = variant->write_enables && WEXITSTATUS(other) == ENODEV;
	EXPECT_TRUE(WIFEXITED(other) &&
		    (refused || WEXITSTATUS(other) == (variant->other == PRT_OTHER_BIND ? EBUSY : 0)));

	if (variant->write_enables) {
		ksft_print_msg("the write %s\n", refused ? "failed with ENODEV" : "enabled the VFs");
		EXPECT_TRUE(!WEXITSTATUS(held));
		EXPECT_EQ(refused ? 0 : 2, prt_num_virtfns(self->pf));
		/* Refused, it changed nothing: the same write now enables them. */
		if (refused)
			EXPECT_EQ(0, prt_dev_write(self->pf, "sriov_numvfs", "2"));
		EXPECT_EQ(2, prt_num_virtfns(self->pf));
	} else if (variant->other == PRT_OTHER_NUMVFS) {
		/* The held task won the device lock: nothing left to do. */
		EXPECT_TRUE(!WEXITSTATUS(held));
		EXPECT_EQ(binds ? 2 : 0, prt_num_virtfns(self->pf));
	} else if (!prt_pf_other_removes(variant->other)) {
		/* The PF stays; the last of the two to run decides its driver. */
		char drv[64] = "";
		bool bound = variant->other == PRT_OTHER_RESCAN ? binds :
			     variant->other == PRT_OTHER_BIND;

		EXPECT_TRUE(!WEXITSTATUS(held));
		EXPECT_EQ(bound ? 0 : -ENOENT, prt_driver(self->pf, drv, sizeof(drv)));
		EXPECT_STREQ(bound ? PRT_DRV_SRIOV_PF : "", drv);
		EXPECT_EQ(bound ? 2 : 0, prt_num_virtfns(self->pf));
	} else {
		EXPECT_TRUE(prt_removed(self->pf));
		if (prt_pf_other_mode(variant->other))
			ASSERT_EQ(0, prt_host_cmd(&self->host, why, sizeof(why),
						  PRT_HOST_ADD_SECS, "device_add %s",
						  PRT_HOST_NVME_ID))
				TH_LOG("%s", why);
		/*
		 * In a VM without the nvme driver the PF comes back unbound, or
		 * bound by ID after a rescan or a hot-add held.
		 */
		prt_expect_back(_metadata, self->pf,
				prt_pf_op_scans(variant->held) ? PRT_DRV_SRIOV_PF :
				prt_pf_scan_driver(), self->ats);
	}
}

/* Refused with a clear error, and nothing changed. */
TEST_F(pf_driver, bad_input_changes_nothing)
{
	static const struct { const char *attr, *val; int err; } bad[] = {
		{ "sriov_numvfs", "two", EINVAL },
		{ "sriov_numvfs", "-1", EINVAL },
		{ "sriov_numvfs", "65536", EINVAL },
		{ "sriov_numvfs", "5", ERANGE },
		{ "remove", "yes", EINVAL },
		{ "rescan", "x", EINVAL },
		{ "reset_method", "bogus", EINVAL },
		{ "reset", "2", EINVAL },
	};
	char before[128], after[128];
	size_t i;

	ASSERT_EQ(0, prt_dev_read(self->pf, "reset_method", before, sizeof(before)));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-bad[i].err, prt_dev_write(self->pf, bad[i].attr, bad[i].val))
			TH_LOG("%s < \"%s\"", bad[i].attr ?: "", bad[i].val ?: "");
	EXPECT_EQ(-EINVAL, prt_write("/sys/bus/pci/rescan", "x"));
	EXPECT_TRUE(prt_exists(self->pf));
	EXPECT_EQ(2, prt_num_virtfns(self->pf));
	ASSERT_EQ(0, prt_dev_read(self->pf, "reset_method", after, sizeof(after)));
	EXPECT_STREQ(before, after);
}

TEST_HARNESS_MAIN
