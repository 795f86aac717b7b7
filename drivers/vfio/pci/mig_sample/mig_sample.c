// SPDX-License-Identifier: GPL-2.0
/*
 * prt_vfio_mig: a test-only stand-in for a vfio-pci variant driver with
 * migration support (pds, qat, hisi_acc, mlx5), because no device that QEMU
 * emulates exercises a real one. It binds, through driver_override, to the
 * VM's virtio-blk function, and its "device state" is a page: the function's
 * config header and a pattern.
 *
 * What it keeps of the real drivers is their lock order: state_mutex, then
 * the lock of a migration file, then a copy to or from user memory under
 * that lock (mmap_lock, through might_fault()). And how it resets the
 * migration state after a reset of the device: on a kernel with the
 * migration_reset op, vfio-pci calls it once memory_lock is released (and
 * vfio_pci_core_reset_done() for the resets it does not do under
 * memory_lock); on one without, its reset_done() callback takes state_mutex
 * under whatever the resetting task holds, as the drivers of those kernels
 * do. Both count in PRT_VFIO_MIG_RESETS.
 *
 * On a kernel without the op, defer_reset makes reset_done() do what mlx5,
 * virtio and xe do there instead: try state_mutex, and leave the reset to its
 * holder if it is taken. hold_state_ms makes a migration_get_state() hold
 * state_mutex for a while, as those drivers' firmware commands do, so that a
 * test can reset the device while it is held.
 */
#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include <pci_reset_test.h>

#ifdef PRT_HAVE_MIGRATION_RESET
#define PRT_MIG_RESET_OP	1
#else
#define PRT_MIG_RESET_OP	0
#endif

/* Migration resets of all devices, since the module was loaded. */
static atomic_t prt_mig_resets = ATOMIC_INIT(0);
/* Tasks that hold a state_mutex because of hold_state_ms; write 0 to end. */
static atomic_t prt_mig_holders = ATOMIC_INIT(0);
static u32 prt_mig_reset_op = PRT_MIG_RESET_OP;
static struct dentry *prt_mig_debugfs;

struct prt_mig_file {
	struct file *filp;
	/* Protects disabled, len, data and filp->f_pos. */
	struct mutex lock;
	bool disabled;
	size_t len;
	u8 data[PAGE_SIZE];
};

struct prt_mig_device {
	struct vfio_pci_core_device core_device;
	/* Protects mig_state, saving_migf and resuming_migf. */
	struct mutex state_mutex;
	enum vfio_device_mig_state mig_state;
	struct prt_mig_file *saving_migf;
	struct prt_mig_file *resuming_migf;
	/* Protects deferred_reset. */
	spinlock_t reset_lock;
	/* A reset of the device left to the holder of state_mutex. */
	bool deferred_reset;
};

static struct prt_mig_device *prt_mig_vdev(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct prt_mig_device, core_device.vdev);
}

static void prt_mig_disable_fd(struct prt_mig_file *migf)
{
	mutex_lock(&migf->lock);
	migf->disabled = true;
	migf->len = 0;
	migf->filp->f_pos = 0;
	mutex_unlock(&migf->lock);
}

static void prt_mig_disable_fds(struct prt_mig_device *mdev)
{
	lockdep_assert_held(&mdev->state_mutex);

	if (mdev->resuming_migf) {
		prt_mig_disable_fd(mdev->resuming_migf);
		fput(mdev->resuming_migf->filp);
		mdev->resuming_migf = NULL;
	}
	if (mdev->saving_migf) {
		prt_mig_disable_fd(mdev->saving_migf);
		fput(mdev->saving_migf->filp);
		mdev->saving_migf = NULL;
	}
}

static ssize_t prt_mig_save_read(struct file *filp, char __user *buf,
				 size_t len, loff_t *pos)
{
	struct prt_mig_file *migf = filp->private_data;

	if (pos)
		return -ESPIPE;
	pos = &filp->f_pos;

	guard(mutex)(&migf->lock);
	if (migf->disabled)
		return -ENODEV;
	if (*pos < 0 || *pos > migf->len)
		return -EINVAL;

	len = min_t(size_t, migf->len - *pos, len);
	if (len && copy_to_user(buf, migf->data + *pos, len))
		return -EFAULT;
	*pos += len;
	return len;
}

static ssize_t prt_mig_resume_write(struct file *filp, const char __user *buf,
				    size_t len, loff_t *pos)
{
	struct prt_mig_file *migf = filp->private_data;
	loff_t end;

	if (pos)
		return -ESPIPE;
	pos = &filp->f_pos;

	guard(mutex)(&migf->lock);
	if (migf->disabled)
		return -ENODEV;
	if (*pos < 0 || check_add_overflow(len, *pos, &end))
		return -EOVERFLOW;
	if (end > sizeof(migf->data))
		return -ENOMEM;

	if (copy_from_user(migf->data + *pos, buf, len))
		return -EFAULT;
	*pos += len;
	migf->len = max_t(size_t, migf->len, end);
	return len;
}

static int prt_mig_release_file(struct inode *inode, struct file *filp)
{
	struct prt_mig_file *migf = filp->private_data;

	prt_mig_disable_fd(migf);
	mutex_destroy(&migf->lock);
	kfree(migf);
	return 0;
}

static const struct file_operations prt_mig_save_fops = {
	.owner = THIS_MODULE,
	.read = prt_mig_save_read,
	.release = prt_mig_release_file,
};

static const struct file_operations prt_mig_resume_fops = {
	.owner = THIS_MODULE,
	.write = prt_mig_resume_write,
	.release = prt_mig_release_file,
};

static struct prt_mig_file *prt_mig_alloc_file(const struct file_operations *fops,
					       int flags)
{
	struct prt_mig_file *migf;
	struct file *filp;

	migf = kzalloc_obj(*migf, GFP_KERNEL_ACCOUNT);
	if (!migf)
		return ERR_PTR(-ENOMEM);

	filp = anon_inode_getfile(PRT_DRV_VFIO_MIG, fops, migf, flags);
	if (IS_ERR(filp)) {
		kfree(migf);
		return ERR_CAST(filp);
	}
	migf->filp = filp;
	stream_open(filp->f_inode, filp);
	mutex_init(&migf->lock);
	return migf;
}

/* The "device state": the config header, then a pattern up to a page. */
static void prt_mig_save_state(struct prt_mig_device *mdev,
			       struct prt_mig_file *migf)
{
	struct pci_dev *pdev = mdev->core_device.pdev;
	unsigned int off;
	u32 val;

	lockdep_assert_held(&mdev->state_mutex);
	lockdep_assert_held(&migf->lock);

	for (off = 0; off < PCI_CFG_SPACE_SIZE; off += sizeof(val)) {
		pci_read_config_dword(pdev, off, &val);
		put_unaligned_le32(val, migf->data + off);
	}
	for (; off < sizeof(migf->data); off++)
		migf->data[off] = off & 0xff;
	migf->len = sizeof(migf->data);
}

static struct file *prt_mig_start_saving(struct prt_mig_device *mdev)
{
	struct prt_mig_file *migf;

	migf = prt_mig_alloc_file(&prt_mig_save_fops, O_RDONLY);
	if (IS_ERR(migf))
		return ERR_CAST(migf);

	/* The lock edge of the real drivers: state_mutex -> migf->lock. */
	mutex_lock(&migf->lock);
	prt_mig_save_state(mdev, migf);
	mutex_unlock(&migf->lock);

	get_file(migf->filp);
	mdev->saving_migf = migf;
	return migf->filp;
}

static struct file *prt_mig_start_resuming(struct prt_mig_device *mdev)
{
	struct prt_mig_file *migf;

	migf = prt_mig_alloc_file(&prt_mig_resume_fops, O_WRONLY);
	if (IS_ERR(migf))
		return ERR_CAST(migf);

	get_file(migf->filp);
	mdev->resuming_migf = migf;
	return migf->filp;
}

static struct file *prt_mig_step_state(struct prt_mig_device *mdev,
				       enum vfio_device_mig_state new)
{
	enum vfio_device_mig_state cur = mdev->mig_state;

	if ((cur == VFIO_DEVICE_STATE_RUNNING && new == VFIO_DEVICE_STATE_STOP) ||
	    (cur == VFIO_DEVICE_STATE_STOP && new == VFIO_DEVICE_STATE_RUNNING))
		return NULL;

	if (cur == VFIO_DEVICE_STATE_STOP && new == VFIO_DEVICE_STATE_STOP_COPY)
		return prt_mig_start_saving(mdev);

	if (cur == VFIO_DEVICE_STATE_STOP && new == VFIO_DEVICE_STATE_RESUMING)
		return prt_mig_start_resuming(mdev);

	if ((cur == VFIO_DEVICE_STATE_STOP_COPY && new == VFIO_DEVICE_STATE_STOP) ||
	    (cur == VFIO_DEVICE_STATE_RESUMING && new == VFIO_DEVICE_STATE_STOP)) {
		prt_mig_disable_fds(mdev);
		return NULL;
	}

	/* vfio_mig_get_next_state() uses no other arc with STOP_COPY only. */
	WARN_ON(true);
	return ERR_PTR(-EINVAL);
}

static void prt_mig_reset_state_locked(struct prt_mig_device *mdev)
{
	atomic_inc(&prt_mig_resets);
	mdev->mig_state = VFIO_DEVICE_STATE_RUNNING;
	prt_mig_disable_fds(mdev);
}

/*
 * Every unlock of state_mutex comes here, to do a reset that reset_done()
 * left to the holder (defer_reset). With the migration_reset op none is.
 */
static void prt_mig_state_mutex_unlock(struct prt_mig_device *mdev)
{
	for (;;) {
		spin_lock(&mdev->reset_lock);
		if (!mdev->deferred_reset)
			break;
		mdev->deferred_reset = false;
		spin_unlock(&mdev->reset_lock);
		prt_mig_reset_state_locked(mdev);
	}
	mutex_unlock(&mdev->state_mutex);
	spin_unlock(&mdev->reset_lock);
}

static struct file *prt_mig_set_state(struct vfio_device *core_vdev,
				      enum vfio_device_mig_state new_state)
{
	struct prt_mig_device *mdev = prt_mig_vdev(core_vdev);
	enum vfio_device_mig_state next_state;
	struct file *res = NULL;
	int ret;

	mutex_lock(&mdev->state_mutex);
	while (new_state != mdev->mig_state) {
		ret = vfio_mig_get_next_state(core_vdev, mdev->mig_state,
					      new_state, &next_state);
		if (ret) {
			res = ERR_PTR(ret);
			break;
		}
		res = prt_mig_step_state(mdev, next_state);
		if (IS_ERR(res))
			break;
		mdev->mig_state = next_state;
		if (WARN_ON(res && new_state != mdev->mig_state)) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
	prt_mig_state_mutex_unlock(mdev);
	return res;
}

static unsigned int hold_state_ms;
module_param(hold_state_ms, uint, 0644);
MODULE_PARM_DESC(hold_state_ms,
		 "The next migration_get_state() holds state_mutex this long, or until "
		 PRT_VFIO_MIG_HOLDERS " is zeroed");

static void prt_mig_hold_state_mutex(struct prt_mig_device *mdev)
{
	unsigned long end = jiffies + msecs_to_jiffies(xchg(&hold_state_ms, 0));

	lockdep_assert_held(&mdev->state_mutex);

	atomic_inc(&prt_mig_holders);
	while (time_before(jiffies, end) && atomic_read(&prt_mig_holders) > 0)
		msleep(20);
	atomic_add_unless(&prt_mig_holders, -1, 0);
}

static int prt_mig_get_state(struct vfio_device *core_vdev,
			     enum vfio_device_mig_state *curr_state)
{
	struct prt_mig_device *mdev = prt_mig_vdev(core_vdev);

	mutex_lock(&mdev->state_mutex);
	*curr_state = mdev->mig_state;
	if (READ_ONCE(hold_state_ms))
		prt_mig_hold_state_mutex(mdev);
	prt_mig_state_mutex_unlock(mdev);
	return 0;
}

static int prt_mig_get_data_size(struct vfio_device *core_vdev,
				 unsigned long *stop_copy_length)
{
	*stop_copy_length = PAGE_SIZE;
	return 0;
}

/*
 * After a reset of the device: back to RUNNING, and end the data transfer.
 * Takes state_mutex, and each migration file's lock under it.
 */
static void prt_mig_reset_state(struct prt_mig_device *mdev)
{
	mutex_lock(&mdev->state_mutex);
	prt_mig_reset_state_locked(mdev);
	prt_mig_state_mutex_unlock(mdev);
}

#ifdef PRT_HAVE_MIGRATION_RESET
/* Called by vfio-pci, never under memory_lock. */
static void prt_mig_migration_reset(struct vfio_device *core_vdev)
{
	prt_mig_reset_state(prt_mig_vdev(core_vdev));
}
#else
static bool defer_reset;
module_param(defer_reset, bool, 0644);
MODULE_PARM_DESC(defer_reset,
		 "In reset_done(), only try state_mutex, as mlx5, virtio and xe");

/* As the base kernel's drivers do: under whatever the resetting task holds. */
static void prt_mig_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core_device = dev_get_drvdata(&pdev->dev);
	struct prt_mig_device *mdev = container_of(core_device,
						   struct prt_mig_device,
						   core_device);

	if (!READ_ONCE(defer_reset)) {
		prt_mig_reset_state(mdev);
		return;
	}

	spin_lock(&mdev->reset_lock);
	mdev->deferred_reset = true;
	if (!mutex_trylock(&mdev->state_mutex)) {
		spin_unlock(&mdev->reset_lock);
		return;
	}
	spin_unlock(&mdev->reset_lock);
	prt_mig_state_mutex_unlock(mdev);
}
#endif

static const struct vfio_migration_ops prt_mig_ops = {
	.migration_set_state = prt_mig_set_state,
	.migration_get_state = prt_mig_get_state,
	.migration_get_data_size = prt_mig_get_data_size,
#ifdef PRT_HAVE_MIGRATION_RESET
	.migration_reset = prt_mig_migration_reset,
#endif
};

/* A driver written for the base kernel: the kernel must refuse it. */
static const struct vfio_migration_ops prt_mig_ops_without_reset = {
	.migration_set_state = prt_mig_set_state,
	.migration_get_state = prt_mig_get_state,
	.migration_get_data_size = prt_mig_get_data_size,
};

static bool omit_reset_op;
module_param(omit_reset_op, bool, 0644);
MODULE_PARM_DESC(omit_reset_op, "Register devices without the migration_reset op");

static int prt_mig_init_dev(struct vfio_device *core_vdev)
{
	struct prt_mig_device *mdev = prt_mig_vdev(core_vdev);
	int ret;

	ret = vfio_pci_core_init_dev(core_vdev);
	if (ret)
		return ret;

	mutex_init(&mdev->state_mutex);
	spin_lock_init(&mdev->reset_lock);
	core_vdev->migration_flags = VFIO_MIGRATION_STOP_COPY;
	core_vdev->mig_ops = READ_ONCE(omit_reset_op) ? &prt_mig_ops_without_reset :
						       &prt_mig_ops;
	return 0;
}

static void prt_mig_release_dev(struct vfio_device *core_vdev)
{
	struct prt_mig_device *mdev = prt_mig_vdev(core_vdev);

	mutex_destroy(&mdev->state_mutex);
	vfio_pci_core_release_dev(core_vdev);
}

static int prt_mig_open_device(struct vfio_device *core_vdev)
{
	struct prt_mig_device *mdev = prt_mig_vdev(core_vdev);
	int ret;

	ret = vfio_pci_core_enable(&mdev->core_device);
	if (ret)
		return ret;

	mdev->mig_state = VFIO_DEVICE_STATE_RUNNING;
	vfio_pci_core_finish_enable(&mdev->core_device);
	return 0;
}

static void prt_mig_close_device(struct vfio_device *core_vdev)
{
	struct prt_mig_device *mdev = prt_mig_vdev(core_vdev);

	mutex_lock(&mdev->state_mutex);
	prt_mig_disable_fds(mdev);
	prt_mig_state_mutex_unlock(mdev);
	vfio_pci_core_close_device(core_vdev);
}

static const struct vfio_device_ops prt_mig_device_ops = {
	.name = "prt-vfio-mig",
	.init = prt_mig_init_dev,
	.release = prt_mig_release_dev,
	.open_device = prt_mig_open_device,
	.close_device = prt_mig_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.get_region_info_caps = vfio_pci_ioctl_get_region_info,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.mmap = vfio_pci_core_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
	.match_token_uuid = vfio_pci_core_match_token_uuid,
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};

static int prt_mig_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct prt_mig_device *mdev;
	int ret;

	mdev = vfio_alloc_device(prt_mig_device, core_device.vdev, &pdev->dev,
				 &prt_mig_device_ops);
	if (IS_ERR(mdev))
		return PTR_ERR(mdev);

	dev_set_drvdata(&pdev->dev, &mdev->core_device);
	ret = vfio_pci_core_register_device(&mdev->core_device);
	if (ret) {
		vfio_put_device(&mdev->core_device.vdev);
		return ret;
	}
	return 0;
}

static void prt_mig_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core_device = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(core_device);
	vfio_put_device(&core_device->vdev);
}

/* The VM's virtio-blk function; binds only where driver_override names it. */
static const struct pci_device_id prt_mig_ids[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PRT_ATS_VENDOR, PRT_ATS_DEVICE) },
	{}
};
MODULE_DEVICE_TABLE(pci, prt_mig_ids);

static const struct pci_error_handlers prt_mig_err_handlers = {
#ifdef PRT_HAVE_MIGRATION_RESET
	.reset_done = vfio_pci_core_reset_done,
#else
	.reset_done = prt_mig_reset_done,
#endif
	.error_detected = vfio_pci_core_aer_err_detected,
};

static struct pci_driver prt_mig_driver = {
	.name = PRT_DRV_VFIO_MIG,
	.id_table = prt_mig_ids,
	.probe = prt_mig_probe,
	.remove = prt_mig_remove,
	.err_handler = &prt_mig_err_handlers,
	.driver_managed_dma = true,
};

static int __init prt_mig_init(void)
{
	int ret;

	prt_mig_debugfs = debugfs_create_dir(PRT_DRV_VFIO_MIG, NULL);
	debugfs_create_atomic_t(PRT_VFIO_MIG_RESETS, 0644, prt_mig_debugfs,
				&prt_mig_resets);
	debugfs_create_atomic_t(PRT_VFIO_MIG_HOLDERS, 0644, prt_mig_debugfs,
				&prt_mig_holders);
	debugfs_create_u32(PRT_VFIO_MIG_RESET_OP, 0444, prt_mig_debugfs,
			   &prt_mig_reset_op);

	ret = pci_register_driver(&prt_mig_driver);
	if (ret)
		debugfs_remove(prt_mig_debugfs);
	return ret;
}

static void __exit prt_mig_exit(void)
{
	pci_unregister_driver(&prt_mig_driver);
	debugfs_remove(prt_mig_debugfs);
}

module_init(prt_mig_init);
module_exit(prt_mig_exit);
MODULE_DESCRIPTION("Sample vfio-pci migration driver, for reset lock tests");
MODULE_LICENSE("GPL");
