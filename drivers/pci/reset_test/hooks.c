// SPDX-License-Identifier: GPL-2.0
/*
 * Hooks for testing PCI reset paths and IOMMU reset preparation on emulated
 * devices. See include/pci_reset_test.h for the debugfs interface.
 *
 * Everything here works on an unmodified kernel: calls are observed and
 * failures injected through kprobes, so the same module runs on the base
 * tree and on the patched one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fault-inject.h>
#include <linux/iommu.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/ptrace.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include <pci_reset_test.h>
#include "prt.h"

#ifndef CONFIG_X86_64
#error "failure injection returns early from x86-64 functions only"
#endif

/*
 * One fault attribute per site, in the fault-injection framework: its
 * debugfs directory gives probability, interval, times and the task filter.
 * The error the failing call returns is the site's own "errno" file.
 * A kernel without CONFIG_FAULT_INJECTION_DEBUG_FS, as distributions build
 * them, has no sites: nothing fails, and the tests that arm one skip.
 */
struct prt_fail_site {
	const char *name;
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	struct fault_attr attr;
#endif
	int err;
};

enum {
	PRT_PREPARE,
	PRT_FLR_PREPARE,
	PRT_FLR_WAIT,
	PRT_FLR_CONFIG,
	PRT_ROOT_PORT,
	PRT_BUS_WAIT,
	PRT_NR_SITES
};

static struct prt_fail_site prt_sites[PRT_NR_SITES] = {
	[PRT_PREPARE] = { .name = PRT_FAIL_PREPARE, .err = EIO },
	[PRT_FLR_PREPARE] = { .name = PRT_FAIL_FLR_PREPARE, .err = EIO },
	[PRT_FLR_WAIT] = { .name = PRT_FAIL_FLR_WAIT, .err = ENOTTY },
	/* A bool function: the error is not used. */
	[PRT_FLR_CONFIG] = { .name = PRT_FAIL_FLR_CONFIG, .err = ENOTTY },
	[PRT_ROOT_PORT] = { .name = PRT_FAIL_ROOT_PORT, .err = EIO },
	[PRT_BUS_WAIT] = { .name = PRT_FAIL_BUS_WAIT, .err = ENOTTY },
};

/* Written under prt_lock, read locklessly by the probe handlers. */
static struct pci_dev *prt_target;
static DEFINE_MUTEX(prt_lock);
static u16 prt_orig_vendor, prt_orig_device;
static bool prt_ids_changed;

static atomic_t prt_prepare_calls, prt_done_calls, prt_block_calls;
static atomic_t prt_unblock_calls, prt_unblock_at_done, prt_root_port_calls;
static atomic_t prt_settle_calls;

/* The host bridge whose reset_root_port this module installed, if any. */
static struct pci_host_bridge *prt_host;

static bool prt_is_target(struct pci_dev *pdev)
{
	return pdev && pdev == READ_ONCE(prt_target);
}

static bool prt_called_from(struct pt_regs *regs, const char *func)
{
	char sym[KSYM_SYMBOL_LEN];

	/* At a function's first instruction the stack top is the return address. */
	sprint_symbol_no_offset(sym, *(unsigned long *)kernel_stack_pointer(regs));
	return !strcmp(sym, func);
}

/* Return -err to the caller of the probed function without running it. */
static int prt_return_early(struct pt_regs *regs, int err)
{
	unsigned long *sp = (unsigned long *)kernel_stack_pointer(regs);

	regs_set_return_value(regs, (unsigned long)(long)-err);
	instruction_pointer_set(regs, *sp);
	regs->sp += sizeof(*sp);
	return 1;	/* regs->ip changed: no single-step */
}

static bool prt_should_fail(int site)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	return should_fail(&prt_sites[site].attr, 1);
#else
	return false;
#endif
}

static int prt_fail(struct pt_regs *regs, int site)
{
	return prt_return_early(regs, READ_ONCE(prt_sites[site].err));
}

static bool prt_is_wait(struct pt_regs *regs, const char *reset_type)
{
	return prt_is_target((struct pci_dev *)regs->di) &&
	       !strcmp((const char *)regs->si, reset_type);
}

static bool prt_is_flr(struct pt_regs *regs)
{
	return prt_is_wait(regs, "FLR");
}

static int prt_prepare_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct pci_dev *pdev = (struct pci_dev *)regs->di;

	if (!prt_is_target(pdev))
		return 0;
	atomic_inc(&prt_prepare_calls);
	if (prt_called_from(regs, "pcie_flr") && prt_should_fail(PRT_FLR_PREPARE))
		return prt_fail(regs, PRT_FLR_PREPARE);
	if (prt_should_fail(PRT_PREPARE))
		return prt_fail(regs, PRT_PREPARE);
	return 0;
}

static int prt_done_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (prt_is_target((struct pci_dev *)regs->di))
		atomic_inc(&prt_done_calls);
	return 0;
}

static int prt_wait_pre(struct kprobe *p, struct pt_regs *regs)
{
	/* pci_dev_wait(dev, reset_type, timeout) */
	if (prt_is_flr(regs) && prt_should_fail(PRT_FLR_WAIT))
		return prt_fail(regs, PRT_FLR_WAIT);
	/* The wait for the target below its bridge after a secondary bus reset. */
	if (prt_is_wait(regs, "bus reset") && prt_should_fail(PRT_BUS_WAIT))
		return prt_fail(regs, PRT_BUS_WAIT);
	return 0;
}

/* pci_dev_config_accessible(dev, msg) at the start of pcie_flr(): false */
static int prt_config_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (prt_is_flr(regs) && prt_called_from(regs, "pcie_flr") &&
	    prt_should_fail(PRT_FLR_CONFIG))
		return prt_return_early(regs, 0);
	return 0;
}

static bool prt_is_target_dev(struct device *dev)
{
	struct pci_dev *pdev = READ_ONCE(prt_target);

	return pdev && dev == &pdev->dev;
}

static int prt_block_pre(struct kprobe *p, struct pt_regs *regs)
{
	/* attach_dev(domain, dev, old) of the IOMMU's blocking domain */
	if (prt_is_target_dev((struct device *)regs->si))
		atomic_inc(&prt_block_calls);
	return 0;
}

/*
 * __iommu_attach_device(domain, dev, old) of any other domain: the device
 * gets its own domain back. Remember how many done() calls had started by
 * then, to tell the outermost done() from an inner one.
 */
static int prt_attach_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct iommu_domain *domain = (struct iommu_domain *)regs->di;

	if (prt_is_target_dev((struct device *)regs->si) &&
	    domain->type != IOMMU_DOMAIN_BLOCKED) {
		atomic_inc(&prt_unblock_calls);
		atomic_set(&prt_unblock_at_done, atomic_read(&prt_done_calls));
	}
	return 0;
}

/* msleep(250) of delay_250ms_after_flr(), the P3700 quirk's settle time */
static int prt_msleep_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (regs->di == 250 && prt_called_from(regs, "delay_250ms_after_flr"))
		atomic_inc(&prt_settle_calls);
	return 0;
}

/*
 * A PF whose first probe by a scan or a hot-add has just returned waits
 * before pci_bus_add_device() marks it added, as its task would if it were
 * preempted there: up to pause_added_ms for another task that waited for
 * the PF's device lock to take it, then up to pause_added_ms more for that
 * task to let it go. An unbind, for one, then acts on the PF while the scan
 * holds the rescan/remove lock and has not marked the PF added, however
 * late a busy host runs it.
 */
static u32 prt_pause_added_ms;

static int prt_initial_probe_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	*(struct device **)ri->data = (struct device *)regs->di;
	return 0;
}

/*
 * Spin for up to @ms while the device lock of @dev is held (@held) or free:
 * a kretprobe handler may not sleep.
 */
static void prt_spin_while(struct device *dev, bool held, u32 ms)
{
	while (ms-- && mutex_is_locked(&dev->mutex) == held)
		mdelay(1);
}

static int prt_initial_probe_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct device *dev = *(struct device **)ri->data;
	u32 ms = READ_ONCE(prt_pause_added_ms);

	if (ms && dev_is_pci(dev) && to_pci_dev(dev)->is_physfn) {
		prt_spin_while(dev, false, ms);
		prt_spin_while(dev, true, ms);
	}
	return 0;
}

static bool prt_initial_probe_registered;
static struct kretprobe prt_initial_probe = {
	.kp.symbol_name = "device_initial_probe",
	.entry_handler = prt_initial_probe_entry,
	.handler = prt_initial_probe_ret,
	.data_size = sizeof(struct device *),
	.maxactive = 4,
};

/* A post handler keeps a probe from being optimized into a jump, which would
 * ignore the instruction pointer a pre handler sets.
 */
static void prt_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
}

static struct kprobe prt_probes[] = {
	{ .symbol_name = "pci_dev_reset_iommu_prepare", .pre_handler = prt_prepare_pre },
	{ .symbol_name = "pci_dev_reset_iommu_done", .pre_handler = prt_done_pre },
	{ .symbol_name = "pci_dev_wait", .pre_handler = prt_wait_pre },
	{ .symbol_name = "pci_dev_config_accessible", .pre_handler = prt_config_pre },
	{ .symbol_name = "__iommu_attach_device", .pre_handler = prt_attach_pre },
	{ .symbol_name = "msleep", .pre_handler = prt_msleep_pre },
	/* intel-iommu's blocking domain; optional on other IOMMUs */
	{ .symbol_name = "blocking_domain_attach_dev", .pre_handler = prt_block_pre },
};

#define PRT_BLOCK_PROBE	(ARRAY_SIZE(prt_probes) - 1)
static bool prt_registered[ARRAY_SIZE(prt_probes)];

bool prt_can_count_blocks(void)
{
	return prt_registered[PRT_BLOCK_PROBE];
}
EXPORT_SYMBOL_NS_GPL(prt_can_count_blocks, "PCI_RESET_TEST");

void prt_read_counts(struct prt_counts *c)
{
	c->prepare = atomic_read(&prt_prepare_calls);
	c->done = atomic_read(&prt_done_calls);
	c->block = atomic_read(&prt_block_calls);
	c->unblock = atomic_read(&prt_unblock_calls);
	c->unblock_at_done = atomic_read(&prt_unblock_at_done);
	c->root_port = atomic_read(&prt_root_port_calls);
	c->settle = atomic_read(&prt_settle_calls);
}
EXPORT_SYMBOL_NS_GPL(prt_read_counts, "PCI_RESET_TEST");

void prt_zero_counts(void)
{
	atomic_set(&prt_prepare_calls, 0);
	atomic_set(&prt_done_calls, 0);
	atomic_set(&prt_block_calls, 0);
	atomic_set(&prt_unblock_calls, 0);
	atomic_set(&prt_unblock_at_done, 0);
	atomic_set(&prt_root_port_calls, 0);
	atomic_set(&prt_settle_calls, 0);
}
EXPORT_SYMBOL_NS_GPL(prt_zero_counts, "PCI_RESET_TEST");

static void prt_restore_ids_locked(void)
{
	if (prt_ids_changed) {
		prt_target->vendor = prt_orig_vendor;
		prt_target->device = prt_orig_device;
		prt_ids_changed = false;
	}
}

static void prt_host_restore_locked(void)
{
	if (prt_host) {
		prt_host->reset_root_port = NULL;
		prt_host = NULL;
	}
}

/* Takes a reference on @pdev (may be NULL) and drops the previous target's. */
void prt_set_target(struct pci_dev *pdev)
{
	struct pci_dev *old;

	mutex_lock(&prt_lock);
	old = prt_target;
	if (old) {
		prt_restore_ids_locked();
		prt_host_restore_locked();
	}
	WRITE_ONCE(prt_target, pci_dev_get(pdev));
	mutex_unlock(&prt_lock);
	/* Probe handlers run with preemption off: none still sees @old. */
	synchronize_rcu();
	pci_dev_put(old);
}
EXPORT_SYMBOL_NS_GPL(prt_set_target, "PCI_RESET_TEST");

static bool prt_match_ats(struct pci_dev *pdev)
{
	return pci_ats_supported(pdev) && device_iommu_mapped(&pdev->dev);
}

static bool prt_match_sriov_pf(struct pci_dev *pdev)
{
	return pdev->is_physfn && pdev->class == PCI_CLASS_STORAGE_EXPRESS;
}

static struct pci_dev *prt_find(bool (*match)(struct pci_dev *))
{
	struct pci_dev *pdev = NULL;

	for_each_pci_dev(pdev)
		if (match(pdev))
			return pdev;	/* the iterator's reference is the caller's */
	return NULL;
}

struct pci_dev *prt_find_ats_dev(void)
{
	return prt_find(prt_match_ats);
}
EXPORT_SYMBOL_NS_GPL(prt_find_ats_dev, "PCI_RESET_TEST");

struct pci_dev *prt_find_sriov_pf(void)
{
	return prt_find(prt_match_sriov_pf);
}
EXPORT_SYMBOL_NS_GPL(prt_find_sriov_pf, "PCI_RESET_TEST");

static ssize_t prt_user_line(const char __user *ubuf, size_t len, char *buf, size_t size)
{
	if (len >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);
	return len;
}

static ssize_t target_write(struct file *f, const char __user *ubuf, size_t len, loff_t *pos)
{
	unsigned int dom, bus, slot, fn;
	struct pci_dev *pdev;
	char buf[32];
	ssize_t ret;

	ret = prt_user_line(ubuf, len, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	if (sscanf(buf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4 ||
	    slot > 0x1f || fn > 7)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
	if (!pdev)
		return -ENODEV;
	prt_set_target(pdev);
	pci_dev_put(pdev);
	return len;
}

static ssize_t target_read(struct file *f, char __user *ubuf, size_t len, loff_t *pos)
{
	char buf[32] = "none\n";

	mutex_lock(&prt_lock);
	if (prt_target)
		snprintf(buf, sizeof(buf), "%s\n", pci_name(prt_target));
	mutex_unlock(&prt_lock);
	return simple_read_from_buffer(ubuf, len, pos, buf, strlen(buf));
}

static ssize_t ids_write(struct file *f, const char __user *ubuf, size_t len, loff_t *pos)
{
	unsigned int vendor, device;
	char buf[32];
	ssize_t ret;

	ret = prt_user_line(ubuf, len, buf, sizeof(buf));
	if (ret < 0)
		return ret;

	mutex_lock(&prt_lock);
	if (!prt_target) {
		ret = -ENODEV;
	} else if (!strcmp(buf, "restore")) {
		prt_restore_ids_locked();
	} else if (sscanf(buf, "%x:%x", &vendor, &device) == 2 &&
		   vendor <= 0xffff && device <= 0xffff) {
		if (!prt_ids_changed) {
			prt_orig_vendor = prt_target->vendor;
			prt_orig_device = prt_target->device;
			prt_ids_changed = true;
		}
		prt_target->vendor = vendor;
		prt_target->device = device;
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&prt_lock);
	return ret;
}

static ssize_t counters_read(struct file *f, char __user *ubuf, size_t len, loff_t *pos)
{
	struct prt_counts c;
	char buf[192];
	int n;

	prt_read_counts(&c);
	n = scnprintf(buf, sizeof(buf),
		      "prepare %d\ndone %d\nblock %d\nunblock %d\nunblock_at_done %d\n"
		      "root_port %d\nsettle %d\n",
		      c.prepare, c.done, prt_can_count_blocks() ? c.block : -1,
		      c.unblock, c.unblock_at_done, c.root_port, c.settle);
	return simple_read_from_buffer(ubuf, len, pos, buf, n);
}

static ssize_t counters_write(struct file *f, const char __user *ubuf, size_t len, loff_t *pos)
{
	prt_zero_counts();
	return len;
}

/*
 * The target's MSI-X table as the device holds it, one "<entry> <address
 * high> <address low> <data> <vector control>" line per entry in use.
 * Memory decoding is forced on around the reads, as the kernel's own
 * restore does, so the table reads back whatever COMMAND says.
 */
static int msix_table_show(struct seq_file *m, void *unused)
{
	struct msi_desc *desc;
	void __iomem *entry;
	struct pci_dev *pdev;
	u16 cmd;

	guard(mutex)(&prt_lock);
	pdev = prt_target;
	if (!pdev || !pdev->msix_enabled || !pdev->msix_base)
		return -ENODEV;

	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	pci_write_config_word(pdev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	scoped_guard(msi_descs_lock, &pdev->dev) {
		msi_for_each_desc(desc, &pdev->dev, MSI_DESC_ASSOCIATED) {
			entry = pdev->msix_base + desc->msi_index * PCI_MSIX_ENTRY_SIZE;
			seq_printf(m, "%u %08x %08x %08x %08x\n", desc->msi_index,
				   readl(entry + PCI_MSIX_ENTRY_UPPER_ADDR),
				   readl(entry + PCI_MSIX_ENTRY_LOWER_ADDR),
				   readl(entry + PCI_MSIX_ENTRY_DATA),
				   readl(entry + PCI_MSIX_ENTRY_VECTOR_CTRL));
		}
	}
	pci_write_config_word(pdev, PCI_COMMAND, cmd);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(msix_table);

/*
 * A host bridge's Root Port reset, as qcom and rockchip provide one: x86
 * has none, so the core would reset the bus through the bridge control
 * register. Do that here, unless the fault attribute says the host
 * failed.
 */
static int prt_reset_root_port(struct pci_host_bridge *host, struct pci_dev *port)
{
	u16 ctrl;

	atomic_inc(&prt_root_port_calls);
	if (prt_should_fail(PRT_ROOT_PORT))
		return -READ_ONCE(prt_sites[PRT_ROOT_PORT].err);

	pci_read_config_word(port, PCI_BRIDGE_CONTROL, &ctrl);
	pci_write_config_word(port, PCI_BRIDGE_CONTROL, ctrl | PCI_BRIDGE_CTL_BUS_RESET);
	msleep(2);
	pci_write_config_word(port, PCI_BRIDGE_CONTROL, ctrl);
	return 0;
}

/* "1": give the target's host bridge the Root Port reset above; "0": take it back. */
static ssize_t host_reset_write(struct file *f, const char __user *ubuf, size_t len,
				loff_t *pos)
{
	struct pci_host_bridge *host;
	bool on;
	int ret;

	ret = kstrtobool_from_user(ubuf, len, &on);
	if (ret)
		return ret;

	mutex_lock(&prt_lock);
	if (!on) {
		prt_host_restore_locked();
		ret = len;
	} else if (!prt_target) {
		ret = -ENODEV;
	} else {
		host = pci_find_host_bridge(prt_target->bus);
		if (host == prt_host) {
			ret = len;
		} else if (host->reset_root_port || prt_host) {
			ret = -EBUSY;
		} else {
			host->reset_root_port = prt_reset_root_port;
			prt_host = host;
			ret = len;
		}
	}
	mutex_unlock(&prt_lock);
	return ret;
}

static int prt_errno_get(void *data, u64 *val)
{
	*val = READ_ONCE(*(int *)data);
	return 0;
}

static int prt_errno_set(void *data, u64 val)
{
	if (!val || val >= MAX_ERRNO)
		return -EINVAL;
	WRITE_ONCE(*(int *)data, val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(prt_errno_fops, prt_errno_get, prt_errno_set, "%llu\n");

/* Each site's fault attribute and errno file, in @parent. */
static int prt_create_fail_sites(struct dentry *parent)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	int i;

	for (i = 0; i < PRT_NR_SITES; i++) {
		struct prt_fail_site *site = &prt_sites[i];
		struct dentry *dir;

		site->attr = (struct fault_attr)FAULT_ATTR_INITIALIZER;
		dir = fault_create_debugfs_attr(site->name, parent, &site->attr);
		if (IS_ERR(dir))
			return PTR_ERR(dir);
		debugfs_create_file_unsafe("errno", 0600, dir, &site->err, &prt_errno_fops);
	}
#endif
	return 0;
}

static const struct file_operations prt_target_fops = {
	.read = target_read, .write = target_write, .llseek = default_llseek,
};

static const struct file_operations prt_ids_fops = {
	.write = ids_write, .llseek = default_llseek,
};

static const struct file_operations prt_host_reset_fops = {
	.write = host_reset_write, .llseek = default_llseek,
};

static const struct file_operations prt_counters_fops = {
	.read = counters_read, .write = counters_write, .llseek = default_llseek,
};

static struct dentry *prt_dir;

static void prt_unregister(void)
{
	int i;

	if (prt_initial_probe_registered)
		unregister_kretprobe(&prt_initial_probe);
	for (i = 0; i < ARRAY_SIZE(prt_probes); i++)
		if (prt_registered[i])
			unregister_kprobe(&prt_probes[i]);
}

static int __init prt_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(prt_probes); i++) {
		prt_probes[i].post_handler = prt_post;
		ret = register_kprobe(&prt_probes[i]);
		if (ret && i != PRT_BLOCK_PROBE) {
			pr_err("cannot probe %s: %d\n", prt_probes[i].symbol_name, ret);
			prt_unregister();
			return ret;
		}
		prt_registered[i] = !ret;
	}
	ret = register_kretprobe(&prt_initial_probe);
	if (ret) {
		pr_err("cannot probe %s: %d\n", prt_initial_probe.kp.symbol_name, ret);
		prt_unregister();
		return ret;
	}
	prt_initial_probe_registered = true;

	prt_dir = debugfs_create_dir("pci_reset_test", NULL);
	debugfs_create_file("target", 0600, prt_dir, NULL, &prt_target_fops);
	debugfs_create_file("ids", 0200, prt_dir, NULL, &prt_ids_fops);
	debugfs_create_file("counters", 0600, prt_dir, NULL, &prt_counters_fops);
	debugfs_create_file("host_reset_root_port", 0200, prt_dir, NULL,
			    &prt_host_reset_fops);
	debugfs_create_file("msix_table", 0400, prt_dir, NULL, &msix_table_fops);
	debugfs_create_u32("pause_added_ms", 0600, prt_dir, &prt_pause_added_ms);
	prt_bench_init(prt_dir);
	ret = prt_create_fail_sites(prt_dir);
	if (ret)
		goto err_debugfs;
	return 0;

err_debugfs:
	debugfs_remove_recursive(prt_dir);
	prt_unregister();
	return ret;
}

static void __exit prt_exit(void)
{
	mutex_lock(&prt_lock);
	prt_host_restore_locked();
	mutex_unlock(&prt_lock);
	prt_unregister();
	debugfs_remove_recursive(prt_dir);
	prt_set_target(NULL);
}

module_init(prt_init);
module_exit(prt_exit);
MODULE_DESCRIPTION("Test hooks for PCI reset and IOMMU reset preparation");
MODULE_LICENSE("GPL");
