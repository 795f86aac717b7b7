/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the vfio_pci_reset tests: hand the test VM's virtio-blk device
 * with ATS to a vfio-pci driver and back, and the few VFIO calls that the
 * kernel's VFIO selftest library (libvfio) does not wrap.
 */
#ifndef PRT_VFIO_H
#define PRT_VFIO_H

#include "prt_util.h"

#include <stdbool.h>
#include <sys/ioctl.h>

#include <linux/vfio.h>

#include <libvfio.h>
#include <pci_reset_test.h>

#include "kselftest_harness.h"

#define PCI_DRIVERS	"/sys/bus/pci/drivers"

/* The device's binding, set up in the test process, undone in the parent. */
struct prt_vfio_bind {
	char bdf[16];
	char driver[64];	/* the device's driver before the test */
	bool bound;		/* set up by this test: undo at teardown */
	const char *step;	/* the sysfs write that failed */
	int err;
};

/* libvfio's device choice, else the test VM's device with ATS. */
static inline const char *prt_vfio_pick_bdf(int *argc, char *argv[])
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

static inline bool prt_vfio_dev_has(const char *bdf, const char *attr)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, attr);
	return !access(path, F_OK);
}

/*
 * Whether the device's disk is mounted or otherwise claimed: an exclusive
 * open fails while the disk or one of its partitions is held. Never pull
 * the root disk of the machine the test happens to run on.
 */
static inline bool prt_vfio_disk_busy(const char *bdf)
{
	char disk[32], path[PATH_MAX];
	int fd;

	if (prt_find_disk(bdf, disk, sizeof(disk)))
		return false;
	snprintf(path, sizeof(path), "/dev/%s", disk);
	fd = open(path, O_RDONLY | O_EXCL);
	if (fd < 0)
		return errno == EBUSY;
	close(fd);
	return false;
}

/*
 * Why the device cannot be handed to @vfio_driver here, or NULL. The
 * caller SKIPs with it.
 */
static inline const char *prt_vfio_unusable(const char *bdf, const char *vfio_driver)
{
	static char why[96];
	char path[PATH_MAX];

	if (!bdf)
		return "no virtio-blk device with ATS";
	snprintf(path, sizeof(path), PCI_DRIVERS "/%s", vfio_driver);
	if (!prt_vfio_dev_has(bdf, ""))
		snprintf(why, sizeof(why), "no PCI device %s", bdf);
	else if (access(path, F_OK))
		snprintf(why, sizeof(why), "no %s driver", vfio_driver);
	else if (access("/dev/vfio/vfio", F_OK))
		snprintf(why, sizeof(why), "no VFIO container (/dev/vfio/vfio)");
	else if (!prt_vfio_dev_has(bdf, "iommu_group"))
		snprintf(why, sizeof(why), "%s is in no IOMMU group", bdf);
	else if (prt_vfio_disk_busy(bdf))
		snprintf(why, sizeof(why), "%s: its disk is in use", bdf);
	else
		return NULL;
	return why;
}

/*
 * Unbind, driver_override, bind: as the VFIO selftests' scripts/setup.sh.
 * The test asserts on b->err: teardown only runs after a setup that
 * returned, and then undoes a partial bind too.
 */
static inline void prt_vfio_bind(struct prt_vfio_bind *b, const char *bdf,
				 const char *vfio_driver)
{
	char path[PATH_MAX], *driver;

	snprintf(b->bdf, sizeof(b->bdf), "%s", bdf);
	driver = sysfs_driver_get(bdf);
	if (driver) {
		snprintf(b->driver, sizeof(b->driver), "%s", driver);
		free(driver);
	}
	/* Bound by the user: leave it as it is. */
	if (!strcmp(b->driver, vfio_driver))
		return;

	b->bound = true;
	if (b->driver[0]) {
		b->step = "unbind";
		b->err = prt_dev_write(bdf, "driver/unbind", bdf);
		if (b->err)
			return;
	}
	b->step = "driver_override";
	b->err = prt_dev_write(bdf, "driver_override", vfio_driver);
	if (b->err)
		return;
	b->step = "bind";
	snprintf(path, sizeof(path), PCI_DRIVERS "/%s/bind", vfio_driver);
	b->err = prt_write(path, bdf);
}

/* The block device of @bdf, once its driver has probed it again. */
static inline int prt_vfio_wait_disk(const char *bdf, char *disk, size_t size)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int i, err;

	for (i = 0; i < 50; i++) {
		err = prt_find_disk(bdf, disk, size);
		if (!err)
			break;
		nanosleep(&ts, NULL);
	}
	return err;
}

/*
 * In the parent, after the test process has exited: no VFIO file still
 * holds the device, which the vfio driver's unbind would wait for. Give
 * the device back to its driver, and read its disk.
 */
static inline void prt_vfio_unbind(struct __test_metadata *_metadata,
				   struct prt_vfio_bind *b, const char *vfio_driver)
{
	char disk[32], path[PATH_MAX], *driver;
	int err;

	if (!b->bound)
		return;

	driver = sysfs_driver_get(b->bdf);
	if (driver && !strcmp(driver, vfio_driver)) {
		snprintf(path, sizeof(path), PCI_DRIVERS "/%s/unbind", vfio_driver);
		EXPECT_EQ(0, prt_write(path, b->bdf));
	}
	free(driver);
	EXPECT_EQ(0, prt_dev_write(b->bdf, "driver_override", "\n"));
	EXPECT_EQ(0, prt_write("/sys/bus/pci/drivers_probe", b->bdf));
	if (!b->driver[0])
		return;

	driver = sysfs_driver_get(b->bdf);
	EXPECT_STREQ(b->driver, driver ?: "(none)");
	free(driver);
	if (strcmp(b->driver, "virtio-pci"))
		return;
	err = prt_vfio_wait_disk(b->bdf, disk, sizeof(disk));
	EXPECT_EQ(0, err);
	if (!err)
		EXPECT_EQ(0, prt_disk_io(disk)) TH_LOG("read from /dev/%s", disk);
}

/* VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE: the migration uAPI has no libvfio wrapper. */
static inline int prt_mig_feature(struct vfio_pci_device *device, u32 flags,
				  struct vfio_device_feature_mig_state *state)
{
	u64 buf[(sizeof(struct vfio_device_feature) +
		 sizeof(struct vfio_device_feature_mig_state) + 7) / 8] = {};
	struct vfio_device_feature *feature = (void *)buf;

	feature->argsz = sizeof(buf);
	feature->flags = flags | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	memcpy(feature->data, state, sizeof(*state));
	if (ioctl(device->fd, VFIO_DEVICE_FEATURE, feature))
		return -errno;
	memcpy(state, feature->data, sizeof(*state));
	return 0;
}

/* Move to @new_state; *data_fd is the data transfer FD, if the state has one. */
static inline int prt_mig_set(struct vfio_pci_device *device, u32 new_state, int *data_fd)
{
	struct vfio_device_feature_mig_state state = { .device_state = new_state };
	int ret;

	ret = prt_mig_feature(device, VFIO_DEVICE_FEATURE_SET, &state);
	if (!ret && data_fd)
		*data_fd = state.data_fd;
	return ret;
}

/* The device's migration state, or -errno. */
static inline int prt_mig_state(struct vfio_pci_device *device)
{
	struct vfio_device_feature_mig_state state = {};
	int ret;

	ret = prt_mig_feature(device, VFIO_DEVICE_FEATURE_GET, &state);
	return ret ?: (int)state.device_state;
}

/* VFIO_DEVICE_PCI_HOT_RESET of the device's bus, owned through its group. */
static inline int prt_vfio_hot_reset(struct vfio_pci_device *device)
{
	u64 buf[(sizeof(struct vfio_pci_hot_reset) + sizeof(__s32) + 7) / 8] = {};
	struct vfio_pci_hot_reset *reset = (void *)buf;

	reset->argsz = sizeof(buf);
	reset->count = 1;
	reset->group_fds[0] = device->group_fd;
	return ioctl(device->fd, VFIO_DEVICE_PCI_HOT_RESET, reset) ? -errno : 0;
}

/* Offset of the PCI Express capability in config space, or 0. */
static inline u8 prt_vfio_pcie_cap(struct vfio_pci_device *device)
{
	u8 pos = vfio_pci_config_readb(device, PCI_CAPABILITY_LIST);
	int ttl = 48;

	while (pos && ttl--) {
		if (vfio_pci_config_readb(device, pos + PCI_CAP_LIST_ID) == PCI_CAP_ID_EXP)
			return pos;
		pos = vfio_pci_config_readb(device, pos + PCI_CAP_LIST_NEXT);
	}
	return 0;
}

/* A guest's FLR: Initiate Function Level Reset in Device Control. 0 or -errno. */
static inline int prt_vfio_devctl_flr(struct vfio_pci_device *device)
{
	u8 cap = prt_vfio_pcie_cap(device);
	u16 ctl;
	ssize_t n;

	if (!cap)
		return -ENOENT;
	ctl = vfio_pci_config_readw(device, cap + PCI_EXP_DEVCTL) | PCI_EXP_DEVCTL_BCR_FLR;
	n = pwrite(device->fd, &ctl, sizeof(ctl),
		   device->config_space.offset + cap + PCI_EXP_DEVCTL);
	if (n < 0)
		return -errno;
	return n == sizeof(ctl) ? 0 : -EIO;
}

#endif /* PRT_VFIO_H */
