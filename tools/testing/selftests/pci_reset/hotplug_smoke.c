// SPDX-License-Identifier: GPL-2.0
/*
 * Unplug and replug of the NVMe PF by the host, under each hot-plug driver:
 * the runner's broker deletes and re-adds the QEMU device, and the guest's
 * pciehp (HOTPLUG=native) or acpiphp (HOTPLUG=acpi) removes the PCI device
 * and enumerates it again.
 */
#include "prt_host.h"
#include "kselftest_harness.h"

/* From device_add until the PF is back, bound, and has its namespace. */
#define PRT_REPLUG_SECS		30

/*
 * The harness kills a TEST() after TEST_TIMEOUT_DEFAULT seconds, 30, which
 * TEST() reads where it is used. An unplug under pciehp waits out its 5 s
 * attention-button delay, longer under TCG, and the host waits up to 60 s.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	(PRT_HOST_DEL_SECS + PRT_HOST_ADD_SECS + PRT_REPLUG_SECS + 30)

static int prt_bound_to(const char *bdf, const char *drv)
{
	char path[PATH_MAX], real[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	return realpath(path, real) && !strcmp(strrchr(real, '/') + 1, drv);
}

static void prt_unplug_replug(struct __test_metadata *_metadata, const char *mode,
			      const char *slot_drv)
{
	const char *booted = prt_boot_hotplug(), *drv;
	double start, deleted, added, back;
	char bdf[16], disk[32], why[512];
	struct prt_host h;
	int ret;

	/* The runner boots each mode apart; a whole-program run meets both. */
	if (*booted && strcmp(booted, mode))
		SKIP(return, "the VM is booted with prt.hotplug=%s", booted);
	ret = prt_host_open(&h);
	if (ret)
		SKIP(return, "no host channel on %s: %s", PRT_HOST_TTY, strerror(-ret));

	ASSERT_EQ(0, prt_find_dev(PRT_NVME_VENDOR, PRT_NVME_DEVICE, bdf, sizeof(bdf)))
		TH_LOG("no NVMe PF %04x:%04x in the VM", PRT_NVME_VENDOR, PRT_NVME_DEVICE);
	drv = prt_slot_driver(bdf);
	ASSERT_NE(NULL, drv)
		TH_LOG("%s is in no hot-plug slot", bdf);
	ASSERT_STREQ(slot_drv, drv)
		TH_LOG("%s's slot is driven by %s, not %s: is the VM booted with HOTPLUG=%s?",
		       bdf, drv, slot_drv, mode);

	start = prt_now();
	ASSERT_EQ(0, prt_host_cmd(&h, why, sizeof(why), PRT_HOST_DEL_SECS,
				  "device_del %s", PRT_HOST_NVME_ID))
		TH_LOG("%s", why);
	deleted = prt_now();
	/*
	 * QEMU deletes it only after the guest removed it and let the slot
	 * go. Not an ASSERT: whatever happens, the device comes back for the
	 * tests after this one.
	 */
	EXPECT_FALSE(prt_exists(bdf))
		TH_LOG("%s is still in sysfs after QEMU deleted it", bdf);

	ASSERT_EQ(0, prt_host_cmd(&h, why, sizeof(why), PRT_HOST_ADD_SECS,
				  "device_add %s", PRT_HOST_NVME_ID))
		TH_LOG("%s", why);
	added = prt_now();
	/* device_add returns at once; the guest's hot-plug driver follows. */
	do {
		back = prt_now();
		if (prt_exists(bdf) && prt_bound_to(bdf, "nvme") &&
		    !prt_find_disk(bdf, disk, sizeof(disk)) && prt_disk_opens(disk))
			break;
		usleep(100000);
	} while (back < added + PRT_REPLUG_SECS);
	prt_host_close(&h);

	ASSERT_TRUE(prt_exists(bdf))
		TH_LOG("%s is not back %d s after device_add", bdf, PRT_REPLUG_SECS);
	ASSERT_TRUE(prt_bound_to(bdf, "nvme"))
		TH_LOG("%s is back but not bound to nvme after %d s", bdf, PRT_REPLUG_SECS);
	ASSERT_EQ(0, prt_find_disk(bdf, disk, sizeof(disk)))
		TH_LOG("%s is bound but has no namespace after %d s", bdf, PRT_REPLUG_SECS);
	ASSERT_TRUE(prt_disk_opens(disk))
		TH_LOG("/dev/%s does not open %d s after device_add", disk, PRT_REPLUG_SECS);
	/* The new device does DMA through the IOMMU. */
	EXPECT_EQ(0, prt_disk_io(disk));
	ksft_print_msg("%s: %s: device_del %.1f s, device_add %.1f s, bound with %s %.1f s later\n",
		       mode, bdf, deleted - start, added - deleted, disk, back - added);
}

TEST(unplug_replug_native)
{
	prt_unplug_replug(_metadata, "native", "pciehp");
}

TEST(unplug_replug_acpi)
{
	prt_unplug_replug(_metadata, "acpi", "acpiphp");
}

TEST_HARNESS_MAIN
