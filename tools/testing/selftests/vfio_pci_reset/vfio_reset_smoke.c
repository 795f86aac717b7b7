// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-pci smoke test on the kernel's VFIO selftest library: hand the test
 * VM's virtio-blk device with ATS to vfio-pci, open it in each type1 IOMMU
 * mode and reset it with VFIO_DEVICE_RESET (an FLR, so the IOMMU core's
 * reset preparation runs). Then give it back to its driver and read the disk.
 *
 * The device is the BDF given as the last argument or in $VFIO_SELFTESTS_BDF,
 * as for the kernel's VFIO selftests, else the first 1af4:1042. Without the
 * device, vfio-pci, the type1 container or an IOMMU group, every test SKIPs.
 */
#include "prt_util.h"

#include <stdbool.h>
#include <time.h>

#include <linux/vfio.h>

#include <libvfio.h>
#include <pci_reset_test.h>

#include "kselftest_harness.h"

#define VFIO_PCI_DRIVER	"/sys/bus/pci/drivers/vfio-pci"

static const char *device_bdf;

FIXTURE(vfio) {
	/* Shared with the parent, which gives the device back. */
	char driver[64];	/* the device's driver before the test */
	bool bound;		/* set up by this test: undo at teardown */
	const char *step;	/* the sysfs write that failed */
	int err;
};

FIXTURE_VARIANT(vfio) {
	const char *iommu_mode;
};

/* The type1 container modes: the test kernel has no IOMMUFD. */
#define FIXTURE_VARIANT_ADD_IOMMU_MODE(_iommu_mode)	\
FIXTURE_VARIANT_ADD(vfio, _iommu_mode) {		\
	.iommu_mode = #_iommu_mode,			\
}

FIXTURE_VARIANT_ADD_IOMMU_MODE(vfio_type1_iommu);
FIXTURE_VARIANT_ADD_IOMMU_MODE(vfio_type1v2_iommu);

#undef FIXTURE_VARIANT_ADD_IOMMU_MODE

static bool dev_has(const char *attr)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", device_bdf, attr);
	return !access(path, F_OK);
}

/* Unbind, driver_override, bind: as the VFIO selftests' scripts/setup.sh. */
static int vfio_bind(FIXTURE_DATA(vfio) *self)
{
	int err;

	self->bound = true;
	if (self->driver[0]) {
		self->step = "unbind";
		err = prt_dev_write(device_bdf, "driver/unbind", device_bdf);
		if (err)
			return err;
	}
	self->step = "driver_override";
	err = prt_dev_write(device_bdf, "driver_override", "vfio-pci");
	if (err)
		return err;
	self->step = "bind";
	return prt_write(VFIO_PCI_DRIVER "/bind", device_bdf);
}

/*
 * Whether the device's disk is mounted or otherwise claimed: an exclusive
 * open fails while the disk or one of its partitions is held. Never pull
 * the root disk of the machine the test happens to run on.
 */
static bool disk_busy(const char *disk)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", disk);
	fd = open(path, O_RDONLY | O_EXCL);
	if (fd < 0)
		return errno == EBUSY;
	close(fd);
	return false;
}

/* The block device of @bdf, once its driver has probed it again. */
static int wait_disk(char *disk, size_t size)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int i, err;

	for (i = 0; i < 50; i++) {
		err = prt_find_disk(device_bdf, disk, size);
		if (!err)
			break;
		nanosleep(&ts, NULL);
	}
	return err;
}

FIXTURE_SETUP(vfio)
{
	char disk[32], *driver;

	if (!device_bdf)
		SKIP(return, "no %04x:%04x device", PRT_ATS_VENDOR, PRT_ATS_DEVICE);
	if (!dev_has(""))
		SKIP(return, "no PCI device %s", device_bdf);
	if (access(VFIO_PCI_DRIVER, F_OK))
		SKIP(return, "no vfio-pci driver");
	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no VFIO container (/dev/vfio/vfio)");
	if (!dev_has("iommu_group"))
		SKIP(return, "%s is in no IOMMU group", device_bdf);

	if (!prt_find_disk(device_bdf, disk, sizeof(disk)) && disk_busy(disk))
		SKIP(return, "%s: /dev/%s is in use", device_bdf, disk);

	driver = sysfs_driver_get(device_bdf);
	if (driver) {
		snprintf(self->driver, sizeof(self->driver), "%s", driver);
		free(driver);
	}
	/* Bound to vfio-pci by the user: leave it as it is. */
	if (!strcmp(self->driver, "vfio-pci"))
		return;
	/*
	 * The test asserts on the result: teardown only runs after a setup
	 * that returned, and then undoes a partial bind too.
	 */
	self->err = vfio_bind(self);
}

/*
 * In the parent, after the test process has exited: no VFIO file still holds
 * the device, which vfio-pci's unbind would wait for.
 */
FIXTURE_TEARDOWN_PARENT(vfio)
{
	char disk[32], *driver;
	int err;

	if (!self->bound)
		return;

	driver = sysfs_driver_get(device_bdf);
	if (driver && !strcmp(driver, "vfio-pci"))
		EXPECT_EQ(0, prt_write(VFIO_PCI_DRIVER "/unbind", device_bdf));
	free(driver);
	EXPECT_EQ(0, prt_dev_write(device_bdf, "driver_override", "\n"));
	EXPECT_EQ(0, prt_write("/sys/bus/pci/drivers_probe", device_bdf));
	if (!self->driver[0])
		return;

	driver = sysfs_driver_get(device_bdf);
	EXPECT_STREQ(self->driver, driver ?: "(none)");
	free(driver);
	if (strcmp(self->driver, "virtio-pci"))
		return;
	err = wait_disk(disk, sizeof(disk));
	EXPECT_EQ(0, err);
	if (!err)
		EXPECT_EQ(0, prt_disk_io(disk)) TH_LOG("read from /dev/%s", disk);
}

TEST_F(vfio, reset)
{
	struct vfio_pci_device *device;
	struct iommu *iommu;
	u32 class;

	ASSERT_EQ(0, self->err)
		TH_LOG("%s %s: %s", self->step, device_bdf, strerror(-self->err));

	/* libvfio exits the test with KSFT_FAIL where it cannot go on. */
	iommu = iommu_init(variant->iommu_mode);
	device = vfio_pci_device_init(device_bdf, iommu);

	ASSERT_TRUE(device->info.flags & VFIO_DEVICE_FLAGS_PCI);
	ASSERT_TRUE(device->info.flags & VFIO_DEVICE_FLAGS_RESET)
		TH_LOG("device flags %#x", device->info.flags);
	/* Not virtualized by vfio-pci (unlike the IDs): read from the function. */
	class = vfio_pci_config_readl(device, PCI_CLASS_REVISION);
	ASSERT_NE(~0U, class);

	EXPECT_EQ(0, __vfio_pci_device_reset(device));
	/* The function answers config reads again after its reset. */
	EXPECT_EQ(class, vfio_pci_config_readl(device, PCI_CLASS_REVISION));

	vfio_pci_device_cleanup(device);
	iommu_cleanup(iommu);
}

/* libvfio's device choice, else the test VM's device with ATS. */
static const char *pick_bdf(int *argc, char *argv[])
{
	static char found[16];
	unsigned int seg, bus, dev, fn;

	if (getenv("VFIO_SELFTESTS_BDF") ||
	    (*argc > 1 && sscanf(argv[*argc - 1], "%x:%x:%x.%x",
				 &seg, &bus, &dev, &fn) == 4))
		return vfio_selftests_get_bdf(argc, argv);
	if (prt_find_dev(PRT_ATS_VENDOR, PRT_ATS_DEVICE, found, sizeof(found)))
		return NULL;
	return found;
}

int main(int argc, char *argv[])
{
	device_bdf = pick_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
