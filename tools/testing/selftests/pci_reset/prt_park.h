/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Driver binding and the helper drivers' parking points, for tests that
 * hold a locking path at a known point (drivers/pci/reset_test/park.c).
 */
#ifndef PRT_PARK_H
#define PRT_PARK_H

#include "prt_util.h"

#include <libgen.h>
#include <stdbool.h>
#include <time.h>

#define PRT_PARK_WAIT_MS	20000

/* The last component of the sysfs link @attr of @bdf: a driver, a VF. */
static inline int prt_dev_link(const char *bdf, const char *attr, char *name, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, attr);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	snprintf(name, size, "%s", basename(link));
	return 0;
}

static inline int prt_driver(const char *bdf, char *drv, size_t size)
{
	return prt_dev_link(bdf, "driver", drv, size);
}

/* Give @bdf to @drv ("" for whatever matches it) through driver_override. */
static inline int prt_rebind(const char *bdf, const char *drv)
{
	char path[PATH_MAX], cur[64];
	int ret;

	if (!prt_driver(bdf, cur, sizeof(cur))) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
		ret = prt_write(path, bdf);
		if (ret)
			return ret;
	}
	ret = prt_dev_write(bdf, "driver_override", *drv ? drv : "\n");
	if (ret)
		return ret;
	/* Nothing may match a VF the PF did not bring up: not an error here. */
	prt_write("/sys/bus/pci/drivers_probe", bdf);
	return 0;
}

static inline int prt_virtfn(const char *pf, int n, char *bdf, size_t size)
{
	char attr[24];

	snprintf(attr, sizeof(attr), "virtfn%d", n);
	return prt_dev_link(pf, attr, bdf, size);
}

static inline int prt_num_virtfns(const char *pf)
{
	char bdf[16];
	int n = 0;

	while (!prt_virtfn(pf, n, bdf, sizeof(bdf)))
		n++;
	return n;
}

static inline int prt_park_ctl(const char *drv, const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PRT_DEBUGFS_DIR "/%s/%s", drv, file);
	return prt_write(path, val);
}

/* Callbacks @cb of @drv parked now, and entered since the module loaded. */
static inline int prt_park_entered(const char *drv, const char *cb, int *parked, int *calls)
{
	char path[PATH_MAX], buf[256], name[32], *line;
	int p, c;

	snprintf(path, sizeof(path), PRT_DEBUGFS_DIR "/%s/entered", drv);
	if (prt_read(path, buf, sizeof(buf)))
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "%31s %d %d", name, &p, &c) == 3 && !strcmp(name, cb)) {
			*parked = p;
			*calls = c;
			return 0;
		}
	}
	return -1;
}

static inline bool prt_wait_parked(const char *drv, const char *cb, int n)
{
	struct timespec step = { 0, 100 * 1000 * 1000 };
	int parked, calls, ms;

	for (ms = 0; ms < PRT_PARK_WAIT_MS; ms += 100) {
		if (!prt_park_entered(drv, cb, &parked, &calls) && parked == n)
			return true;
		nanosleep(&step, NULL);
	}
	return false;
}

/*
 * Is a task asleep in state D: @pid, or else any task whose name contains
 * @comm (e.g. "-pciehp" for pciehp's IRQ threads)? With @in, only where
 * its stack holds that function: a kernel thread also sleeps in state D
 * on its way to the lock a test wants it to wait for. The test kernel's
 * unwinder (UNWINDER_GUESS) may list a stale return address too, so this
 * narrows the match; it does not prove where the thread sleeps.
 */
static inline bool prt_blocked(pid_t pid, const char *comm, const char *in)
{
	char path[PATH_MAX], buf[4096], *p;
	struct dirent *de;
	bool blocked = false;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return false;
	while (!blocked && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (pid > 0 && atoi(de->d_name) != pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if (prt_read(path, buf, sizeof(buf)))
			continue;
		/* "pid (comm) state ...", and comm may hold spaces */
		p = strrchr(buf, ')');
		if (!p || p[1] != ' ' || p[2] != 'D')
			continue;
		*p = '\0';
		if (pid <= 0 && !strstr(buf, comm))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stack", de->d_name);
		blocked = !in || (!prt_read(path, buf, sizeof(buf)) && strstr(buf, in));
	}
	closedir(d);
	return blocked;
}

/* Wait up to @secs for prt_blocked(@pid, @comm, @in). */
static inline bool prt_wait_task_blocked(pid_t pid, const char *comm, const char *in, int secs)
{
	double end = prt_now() + secs;

	while (!prt_blocked(pid, comm, in)) {
		if (prt_now() > end)
			return false;
		usleep(100000);
	}
	return true;
}

/* Wait up to @secs for @pid to sleep in state D. */
static inline bool prt_wait_blocked(pid_t pid, int secs)
{
	return prt_wait_task_blocked(pid, NULL, NULL, secs);
}

/* Wait up to @secs for pciehp's IRQ thread to wait in its slot removal. */
static inline bool prt_wait_pciehp_blocked(int secs)
{
	return prt_wait_task_blocked(-1, "-pciehp", "pciehp_unconfigure_device", secs);
}

/* Wait up to @secs for acpiphp's notify work to wait in its event handler. */
static inline bool prt_wait_acpiphp_blocked(int secs)
{
	return prt_wait_task_blocked(-1, "kworker", "acpiphp_hotplug_notify", secs);
}

/* Did @pid exit within @secs? Its status is in *status then. */
static inline bool prt_exited_within(pid_t pid, int secs, int *status)
{
	double end = prt_now() + secs;

	for (;;) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		if (prt_now() > end)
			return false;
		usleep(100000);
	}
}

/*
 * In a teardown: is the child @pid, if there is one, still running after
 * @secs? A stuck task may hold the rescan/remove lock or a device lock,
 * which a rescan or a rebind would then wait for.
 */
static inline bool prt_stuck(pid_t pid, int secs)
{
	int status;

	return pid > 0 && !prt_exited_within(pid, secs, &status);
}

/*
 * Write @val to the file @path in a child, which may park: its exit status
 * is 0 or the errno of the write.
 */
static inline pid_t prt_path_write_async(const char *path, const char *val)
{
	pid_t pid = fork();

	if (!pid)
		_exit(-prt_write(path, val) & 0xff);
	return pid;
}

/* The same for @attr of @bdf. */
static inline pid_t prt_write_async(const char *bdf, const char *attr, const char *val)
{
	pid_t pid = fork();

	if (!pid)
		_exit(-prt_dev_write(bdf, attr, val) & 0xff);
	return pid;
}

static inline int prt_child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#define PRT_BIND_SECS	30

/* The Root Port above @bdf: the name of its sysfs parent. */
static inline int prt_parent(const char *bdf, char *parent, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	*strrchr(link, '/') = '\0';
	return snprintf(parent, size, "%s", basename(link)) < (int)size ? 0 : -ENAMETOOLONG;
}

/* Is @bdf there and bound to @drv? nvme binds asynchronously: wait a bit. */
static inline bool prt_back(const char *bdf, const char *drv)
{
	double end = prt_now() + PRT_BIND_SECS;
	char cur[64];

	do {
		if (!prt_driver(bdf, cur, sizeof(cur)) && !strcmp(cur, drv))
			return true;
		usleep(100000);
	} while (prt_now() < end);
	return false;
}

/* Probes of prt_sriov_pf that pci_call_probe() ran in a worker, or -1. */
static inline int prt_probes_in_worker(void)
{
	char buf[32];

	if (prt_read(PRT_DEBUGFS_DIR "/" PRT_DRV_SRIOV_PF "/probes_in_worker", buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

#endif /* PRT_PARK_H */
