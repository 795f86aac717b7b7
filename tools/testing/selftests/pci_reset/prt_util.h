/* SPDX-License-Identifier: GPL-2.0 */
/* sysfs and debugfs helpers for the pci_reset selftests. */
#ifndef PRT_UTIL_H
#define PRT_UTIL_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>

#include <pci_reset_test.h>

#define PCI_DEVICES "/sys/bus/pci/devices"

static inline double prt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Write @val to @path; 0 or -errno of the write. */
static inline int prt_write(const char *path, const char *val)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

static inline int prt_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static inline int prt_dev_write(const char *bdf, const char *attr, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, attr);
	return prt_write(path, val);
}

static inline int prt_dev_read(const char *bdf, const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, attr);
	return prt_read(path, buf, size);
}

static inline int prt_exists(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	return !access(path, F_OK);
}

static inline unsigned long prt_dev_hex(const char *bdf, const char *attr)
{
	char buf[32];

	if (prt_dev_read(bdf, attr, buf, sizeof(buf)))
		return ~0UL;
	return strtoul(buf, NULL, 16);
}

/* First PCI function with these IDs (as read from config space). */
static inline int prt_find_dev(unsigned int vendor, unsigned int device, char *bdf, size_t size)
{
	struct dirent *de;
	DIR *d;
	int ret = -ENODEV;

	d = opendir(PCI_DEVICES);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (prt_dev_hex(de->d_name, "vendor") == vendor &&
		    prt_dev_hex(de->d_name, "device") == device) {
			ret = snprintf(bdf, size, "%s", de->d_name) < (int)size ?
			      0 : -ENAMETOOLONG;
			break;
		}
	}
	closedir(d);
	return ret;
}

static inline int prt_ctl(const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PRT_DEBUGFS_DIR "/%s", file);
	return prt_write(path, val);
}

struct prt_counts {
	int prepare, done, block, unblock, unblock_at_done, root_port, settle;
};

static inline int prt_counts(struct prt_counts *c)
{
	char buf[256];
	int ret;

	ret = prt_read(PRT_DEBUGFS_DIR "/counters", buf, sizeof(buf));
	if (ret)
		return ret;
	if (sscanf(buf, "prepare %d done %d block %d unblock %d unblock_at_done %d "
		   "root_port %d settle %d", &c->prepare, &c->done, &c->block,
		   &c->unblock, &c->unblock_at_done, &c->root_port, &c->settle) != 7)
		return -EINVAL;
	return 0;
}

static inline int prt_fail_write(const char *site, const char *attr, long val)
{
	char path[PATH_MAX], buf[24];

	snprintf(path, sizeof(path), PRT_DEBUGFS_DIR "/%s/%s", site, attr);
	snprintf(buf, sizeof(buf), "%ld", val);
	return prt_write(path, buf);
}

/*
 * Make the next @times calls at fault-injection @site fail with -@err
 * (fault attribute semantics: probability 100, every call, any task).
 */
static inline int prt_fail_arm(const char *site, int err, int times)
{
	return prt_fail_write(site, "errno", err) ?:
	       prt_fail_write(site, "verbose", 1) ?:
	       prt_fail_write(site, "interval", 1) ?:
	       prt_fail_write(site, "times", times) ?:
	       prt_fail_write(site, "probability", 100);
}

/*
 * Arm @site in a test, or skip the test where the kernel has no fault
 * sites: a distribution's kernel, built without fault injection.
 */
#define PRT_FAIL_ARM(site, err, times) do {					\
	char __p[PATH_MAX];							\
										\
	snprintf(__p, sizeof(__p), PRT_DEBUGFS_DIR "/%s", (site));		\
	if (access(__p, F_OK))							\
		SKIP(return, "no fault site %s: needs CONFIG_FAULT_INJECTION_DEBUG_FS", \
		     (site));							\
	ASSERT_EQ(0, prt_fail_arm((site), (err), (times)));			\
} while (0)

static inline int prt_fail_disarm(const char *site)
{
	return prt_fail_write(site, "probability", 0);
}

/* Failures still to come at @site: 0 once every armed one fired. */
static inline int prt_fail_left(const char *site)
{
	char path[PATH_MAX], buf[24];

	snprintf(path, sizeof(path), PRT_DEBUGFS_DIR "/%s/times", site);
	if (prt_read(path, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

/* The block device (e.g. "vda", "nvme0n1") whose parents include @bdf. */
static inline int prt_find_disk(const char *bdf, char *disk, size_t size)
{
	char dev[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
	struct dirent *de;
	int ret = -ENODEV;
	DIR *d;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	if (!realpath(path, dev))
		return -errno;
	d = opendir("/sys/block");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "/sys/block/%s", de->d_name);
		if (de->d_name[0] != '.' && realpath(path, real) &&
		    !strncmp(real, dev, strlen(dev)) && real[strlen(dev)] == '/') {
			ret = snprintf(disk, size, "%s", de->d_name) < (int)size ?
			      0 : -ENAMETOOLONG;
			break;
		}
	}
	closedir(d);
	return ret;
}

/*
 * Does @disk open? /sys/block shows a disk as soon as add_disk() has added
 * its device, and the block device fails to open (-ENXIO) until add_disk()
 * has registered it too: an NVMe namespace comes from a scan that runs
 * after the driver's probe() has returned.
 */
static inline int prt_disk_opens(const char *disk)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", disk);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Read the first blocks of @disk past the page cache: the device must DMA. */
static inline int prt_disk_io(const char *disk)
{
	char path[PATH_MAX];
	void *buf;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/dev/%s", disk);
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0)
		return -errno;
	if (posix_memalign(&buf, 4096, 65536)) {
		close(fd);
		return -ENOMEM;
	}
	if (pread(fd, buf, 65536, 0) != 65536)
		ret = errno ? -errno : -EIO;
	free(buf);
	close(fd);
	return ret;
}

/*
 * New kernel warnings since @fd was opened at the end of /dev/kmsg, and
 * messages that hold @also if it is not NULL.
 */
static inline int prt_kmsg_warnings_or(int fd, const char *also)
{
	char rec[2048];
	int n = 0;
	ssize_t len;

	while ((len = read(fd, rec, sizeof(rec) - 1)) > 0) {
		rec[len] = '\0';
		n += strstr(rec, "WARNING:") || (also && strstr(rec, also));
	}
	return n;
}

static inline int prt_kmsg_warnings(int fd)
{
	return prt_kmsg_warnings_or(fd, NULL);
}

static inline int prt_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

#endif /* PRT_UTIL_H */
