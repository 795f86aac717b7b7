// SPDX-License-Identifier: GPL-2.0
/*
 * Parking points for the helper drivers: a callback the test asked to stall
 * sleeps where it is, holding whatever locks its caller holds, until the
 * test releases it. A test thereby holds a locking path at a known point
 * and starts the path it races with; kprobe handlers cannot sleep, so this
 * is the only way to widen such a window.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/string.h>

#include <pci_reset_test.h>
#include "prt.h"

static const char * const prt_cb_names[PRT_NR_CBS] = {
	[PRT_PROBE] = PRT_CB_PROBE,
	[PRT_REMOVE] = PRT_CB_REMOVE,
	[PRT_SRIOV_CONFIGURE] = PRT_CB_SRIOV_CONFIGURE,
	[PRT_RESET_PREPARE] = PRT_CB_RESET_PREPARE,
	[PRT_RESET_DONE] = PRT_CB_RESET_DONE,
};

/* A test that dies without releasing must not wedge the guest for good. */
static unsigned int park_timeout_s = 60;
module_param(park_timeout_s, uint, 0644);
MODULE_PARM_DESC(park_timeout_s, "Seconds after which a parked callback goes on by itself");

/**
 * prt_park() - Stall here if the test asked for it
 * @park: the driver's parking points
 * @cb: the callback we are in
 * @pdev: the device it runs for, for the log
 *
 * Sleeps without counting as a hung task: the test, not the kernel, decides
 * how long this takes. What waits for the locks we hold is still reported.
 */
void prt_park(struct prt_park *park, enum prt_cb cb, struct pci_dev *pdev)
{
	unsigned int gen;
	long left;

	atomic_inc(&park->calls[cb]);
	spin_lock(&park->lock);
	if (!(park->stall & BIT(cb))) {
		spin_unlock(&park->lock);
		return;
	}
	gen = park->gen;
	atomic_inc(&park->parked[cb]);
	spin_unlock(&park->lock);

	pci_info(pdev, "%s: %s parked\n", park->name, prt_cb_names[cb]);
	left = wait_event_idle_timeout(park->wq, READ_ONCE(park->gen) != gen,
				       park_timeout_s * HZ);
	atomic_dec(&park->parked[cb]);
	pci_info(pdev, "%s: %s released%s\n", park->name, prt_cb_names[cb],
		 left ? "" : " by timeout");
}
EXPORT_SYMBOL_NS_GPL(prt_park, "PCI_RESET_TEST");

/**
 * prt_park_arm() - Stall at a callback until released, as debugfs "stall" does
 * @park: the driver's parking points
 * @cb: the callback to stall in
 */
void prt_park_arm(struct prt_park *park, enum prt_cb cb)
{
	spin_lock(&park->lock);
	park->stall |= BIT(cb);
	spin_unlock(&park->lock);
}
EXPORT_SYMBOL_NS_GPL(prt_park_arm, "PCI_RESET_TEST");

static void prt_park_release(struct prt_park *park)
{
	spin_lock(&park->lock);
	park->stall = 0;
	park->gen++;
	spin_unlock(&park->lock);
	wake_up_all(&park->wq);
}

static ssize_t stall_write(struct file *f, const char __user *ubuf, size_t len, loff_t *pos)
{
	struct prt_park *park = f->private_data;
	unsigned long stall = 0;
	char buf[128], *p, *tok;
	int cb;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	p = strim(buf);
	if (strcmp(p, "none")) {
		while ((tok = strsep(&p, " \t"))) {
			if (!*tok)
				continue;
			cb = match_string(prt_cb_names, PRT_NR_CBS, tok);
			if (cb < 0)
				return -EINVAL;
			stall |= BIT(cb);
		}
	}
	spin_lock(&park->lock);
	park->stall = stall;
	spin_unlock(&park->lock);
	return len;
}

static ssize_t stall_read(struct file *f, char __user *ubuf, size_t len, loff_t *pos)
{
	struct prt_park *park = f->private_data;
	unsigned long stall = READ_ONCE(park->stall);
	char buf[128];
	int cb, n = 0;

	for (cb = 0; cb < PRT_NR_CBS; cb++)
		if (stall & BIT(cb))
			n += scnprintf(buf + n, sizeof(buf) - n, "%s%s", n ? " " : "",
				       prt_cb_names[cb]);
	n += scnprintf(buf + n, sizeof(buf) - n, "%s\n", n ? "" : "none");
	return simple_read_from_buffer(ubuf, len, pos, buf, n);
}

static ssize_t entered_read(struct file *f, char __user *ubuf, size_t len, loff_t *pos)
{
	struct prt_park *park = f->private_data;
	char buf[256];
	int cb, n = 0;

	for (cb = 0; cb < PRT_NR_CBS; cb++)
		n += scnprintf(buf + n, sizeof(buf) - n, "%s %d %d\n", prt_cb_names[cb],
			       atomic_read(&park->parked[cb]),
			       atomic_read(&park->calls[cb]));
	return simple_read_from_buffer(ubuf, len, pos, buf, n);
}

static ssize_t release_write(struct file *f, const char __user *ubuf, size_t len, loff_t *pos)
{
	prt_park_release(f->private_data);
	return len;
}

static const struct file_operations prt_stall_fops = {
	.open = simple_open, .read = stall_read, .write = stall_write,
	.llseek = default_llseek,
};

static const struct file_operations prt_entered_fops = {
	.open = simple_open, .read = entered_read, .llseek = default_llseek,
};

static const struct file_operations prt_release_fops = {
	.open = simple_open, .write = release_write, .llseek = default_llseek,
};

static struct dentry *prt_debugfs_root(void)
{
	return debugfs_lookup("pci_reset_test", NULL);
}

/**
 * prt_park_init() - Set up a driver's parking points and their debugfs files
 * @park: zeroed, static in the driver's module
 * @name: the driver's name, also its debugfs directory
 *
 * Return: 0 or a negative errno.
 */
int prt_park_init(struct prt_park *park, const char *name)
{
	struct dentry *root = prt_debugfs_root();

	if (!root)
		return -ENOENT;
	park->name = name;
	spin_lock_init(&park->lock);
	init_waitqueue_head(&park->wq);
	park->dir = debugfs_create_dir(name, root);
	dput(root);
	if (IS_ERR(park->dir))
		return PTR_ERR(park->dir);
	debugfs_create_file("stall", 0600, park->dir, park, &prt_stall_fops);
	debugfs_create_file("entered", 0400, park->dir, park, &prt_entered_fops);
	debugfs_create_file("release", 0200, park->dir, park, &prt_release_fops);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(prt_park_init, "PCI_RESET_TEST");

/**
 * prt_park_exit() - Remove the controls and let every parked callback go
 * @park: the driver's parking points
 *
 * The driver is still registered: its callbacks may run but no longer park.
 */
void prt_park_exit(struct prt_park *park)
{
	debugfs_remove_recursive(park->dir);
	prt_park_release(park);
}
EXPORT_SYMBOL_NS_GPL(prt_park_exit, "PCI_RESET_TEST");
