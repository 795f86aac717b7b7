/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's channel to the host: the VM's third serial port, whose other
 * end is the runner's broker (tools/vm/qmp.py), which talks QMP to QEMU.
 *
 * One request a line, one answer a line, strictly in turn:
 *   ping             -> ok
 *   device_del <id>  -> ok once QEMU has deleted the device <id>
 *   device_add <id>  -> ok once QEMU has added <id> (and its children) again
 * or "error <why>". <id> is the device's id= in tools/vm/topology.args.
 */
#ifndef PRT_HOST_H
#define PRT_HOST_H

#include "prt_util.h"

#include <poll.h>
#include <stdbool.h>
#include <stdarg.h>
#include <termios.h>
#include <time.h>

#define PRT_HOST_TTY		"/dev/ttyS2"
/* QEMU ids of the test VM's hot-pluggable devices. */
#define PRT_HOST_NVME_ID	"nvme0"
#define PRT_HOST_ATS_ID		"vblk0"

/* The broker waits up to 60 s for QEMU's DEVICE_DELETED: wait longer. */
#define PRT_HOST_DEL_SECS	90
#define PRT_HOST_ADD_SECS	30

struct prt_host {
	int fd;
	size_t len;
	char buf[256];
};

/* Read one line, without its end, within @secs; 0 or -errno. */
static inline int prt_host_read(struct prt_host *h, char *line, size_t size, double secs)
{
	double deadline = prt_now() + secs;
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	int ret, left;
	char *nl;
	ssize_t n;

	while (!(nl = memchr(h->buf, '\n', h->len))) {
		if (h->len == sizeof(h->buf))
			return -EMSGSIZE;
		left = (deadline - prt_now()) * 1000;
		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, left);
		if (ret < 0 && errno != EINTR)
			return -errno;
		n = read(h->fd, h->buf + h->len, sizeof(h->buf) - h->len);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0)
			h->len += n;
	}
	*nl = '\0';
	snprintf(line, size, "%s", h->buf);
	h->len -= nl + 1 - h->buf;
	memmove(h->buf, nl + 1, h->len);
	return 0;
}

static inline int prt_host_write(struct prt_host *h, const char *line)
{
	size_t len = strlen(line);

	errno = 0;
	if (write(h->fd, line, len) != (ssize_t)len || write(h->fd, "\n", 1) != 1)
		return errno ? -errno : -EIO;
	return 0;
}

/*
 * Send a request and wait @secs for its answer: 0 for "ok", -EREMOTEIO with
 * the host's reason in @why for "error <why>", else -errno.
 */
static inline int prt_host_cmd(struct prt_host *h, char *why, size_t size, double secs,
			       const char *fmt, ...)
{
	char req[128], line[sizeof(h->buf)];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	ret = prt_host_write(h, req);
	if (!ret)
		ret = prt_host_read(h, line, sizeof(line), secs);
	if (ret) {
		snprintf(why, size, "%s: %s", req, strerror(-ret));
		return ret;
	}
	if (!strcmp(line, "ok"))
		return 0;
	snprintf(why, size, "%s: %s", req, strncmp(line, "error ", 6) ? line : line + 6);
	return -EREMOTEIO;
}

/*
 * Open the channel and check that the broker answers: 0, or -errno when the
 * VM has no channel (no such port, or nobody answers a ping).
 */
static inline int prt_host_open(struct prt_host *h)
{
	struct termios tio;
	char line[16];
	int i, ret;

	h->len = 0;
	/* O_NONBLOCK: open must not wait for a carrier the port never has. */
	h->fd = open(PRT_HOST_TTY, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (h->fd < 0)
		return -errno;
	/* Raw: no echo, no line editing, no CR/NL mapping of the protocol. */
	if (tcgetattr(h->fd, &tio)) {
		ret = -errno;
		goto err;
	}
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	cfsetspeed(&tio, B115200);
	if (tcsetattr(h->fd, TCSANOW, &tio) || tcflush(h->fd, TCIOFLUSH)) {
		ret = -errno;
		goto err;
	}
	/*
	 * A port without a UART fails the write (-EIO). A ping sent before
	 * the broker connected is lost, so ask again; but then the answers
	 * to pings that did arrive may still come: drop them, or they would
	 * answer the next request.
	 */
	for (i = 0; i < 5; i++) {
		ret = prt_host_write(h, "ping");
		if (ret)
			goto err;
		ret = prt_host_read(h, line, sizeof(line), 1);
		if (ret == -ETIMEDOUT)
			continue;
		if (ret)
			goto err;
		if (strcmp(line, "ok")) {
			ret = -EPROTO;
			goto err;
		}
		while (i-- > 0 && !prt_host_read(h, line, sizeof(line), 1))
			;
		return 0;
	}
	ret = -ETIMEDOUT;
err:
	close(h->fd);
	h->fd = -1;
	return ret;
}

static inline void prt_host_close(struct prt_host *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

/*
 * Ask the host, in a child, to plug device @id back (@plug) or to unplug
 * it: the child exits 0 once QEMU has added or deleted it.
 */
static inline pid_t prt_hotplug_async(struct prt_host *host, const char *id, bool plug)
{
	char why[512];
	pid_t pid = fork();

	if (!pid)
		_exit(prt_host_cmd(host, why, sizeof(why),
				   plug ? PRT_HOST_ADD_SECS : PRT_HOST_DEL_SECS,
				   "%s %s", plug ? "device_add" : "device_del", id) ? 1 : 0);
	return pid;
}

static inline pid_t prt_unplug_async(struct prt_host *host, const char *id)
{
	return prt_hotplug_async(host, id, false);
}

/* The hot-plug mode the runner booted the VM with: "native", "acpi" or "". */
static inline const char *prt_boot_hotplug(void)
{
	static char mode[16];
	char cmdline[4096], *p;
	int fd;
	ssize_t n;

	fd = open("/proc/cmdline", O_RDONLY);
	if (fd < 0)
		return "";
	n = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	cmdline[n > 0 ? n : 0] = '\0';
	for (p = strtok(cmdline, "\t\n "); p; p = strtok(NULL, "\t\n "))
		if (!strncmp(p, "prt.hotplug=", 12))
			snprintf(mode, sizeof(mode), "%s", p + 12);
	return mode;
}

/*
 * Did a removal of @bdf leave it removed? In the acpi VM a PF removed just
 * after its VFs came or went was seen back at once, bound to its driver,
 * on v7.3.4 and with the series: acpiphp rescans the slot on its own
 * then. There only the removal's own result counts.
 */
static inline bool prt_removed(const char *bdf)
{
	return !prt_exists(bdf) || !strcmp(prt_boot_hotplug(), "acpi");
}

/* The name in /sys/bus/pci/slots of the slot that holds @bdf: 0 or -ENOENT. */
static inline int prt_slot_name(const char *bdf, char *name, size_t size)
{
	char path[PATH_MAX], addr[32], want[32];
	struct dirent *de;
	int found = 0;
	DIR *d;

	/* "DDDD:BB:DD.F" is in the slot whose address is "DDDD:BB:DD". */
	snprintf(want, sizeof(want), "%.*s\n", (int)strcspn(bdf, "."), bdf);
	d = opendir("/sys/bus/pci/slots");
	if (!d)
		return -ENOENT;
	while (!found && (de = readdir(d))) {
		snprintf(path, sizeof(path), "/sys/bus/pci/slots/%s/address", de->d_name);
		found = de->d_name[0] != '.' && !prt_read(path, addr, sizeof(addr)) &&
			!strcmp(addr, want);
		if (found)
			snprintf(name, size, "%s", de->d_name);
	}
	closedir(d);
	return found ? 0 : -ENOENT;
}

/*
 * The hot-plug driver of the slot that holds PCI device @bdf: "pciehp",
 * "acpiphp", or NULL when the device is in no hot-plug slot.
 *
 * A slot's "module" link would say, but the link is only made for a
 * driver whose /sys/module entry exists when the slot is registered, and
 * a built-in driver's appears later. So: pciehp drives a slot exactly when
 * it is bound to the port service (<port>:pcie004) of the port above, and
 * the test kernel has no slot driver besides pciehp and acpiphp (no SHPC,
 * CPCI, IBM), which needs the port's ACPI companion.
 */
static inline const char *prt_slot_driver(const char *bdf)
{
	char path[PATH_MAX], real[PATH_MAX], port[32], slot[NAME_MAX + 1];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/..", bdf);
	if (!realpath(path, real) ||
	    snprintf(port, sizeof(port), "%s", strrchr(real, '/') + 1) >= (int)sizeof(port))
		return NULL;
	if (prt_slot_name(bdf, slot, sizeof(slot)))
		return NULL;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s:pcie004/driver", port, port);
	if (realpath(path, real) && !strcmp(strrchr(real, '/'), "/pciehp"))
		return "pciehp";
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/firmware_node", port);
	return access(path, F_OK) ? NULL : "acpiphp";
}

#endif /* PRT_HOST_H */
