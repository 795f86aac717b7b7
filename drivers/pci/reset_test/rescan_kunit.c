// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the nesting rescan/remove lock: pci_lock_rescan_remove()
 * taken again by its owner, released at the outermost unlock, and an unlock
 * by a task that does not hold it refused with a warning.
 *
 * A kernel whose lock does not nest would hang the test task for good, so
 * the nesting runs in a kthread the test waits for, and fails if it does not
 * finish. Such a kthread holds the lock forever: the kernel cannot go on.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "prt.h"

#ifndef PRT_HAVE_RESCAN_GUARD
/* A kernel without the series has no guard: the same calls, which do not nest. */
DEFINE_LOCK_GUARD_0(pci_rescan_remove, pci_lock_rescan_remove(),
		    pci_unlock_rescan_remove())
#endif

#define PRT_STUCK	(5 * HZ)	/* a lock not taken by then is not coming */
#define PRT_STILL_HELD	(HZ / 5)	/* a contender that waits that long waits */

/* A task that takes the lock, tells, and releases it when told. */
struct prt_contender {
	struct completion locked, release, done;
};

static int prt_contend(void *data)
{
	struct prt_contender *c = data;

	pci_lock_rescan_remove();
	complete(&c->locked);
	wait_for_completion(&c->release);
	pci_unlock_rescan_remove();
	complete(&c->done);
	return 0;
}

static struct prt_contender *prt_contender_start(void)
{
	struct prt_contender *c = kzalloc(sizeof(*c), GFP_KERNEL);
	struct task_struct *t;

	if (!c)
		return NULL;
	init_completion(&c->locked);
	init_completion(&c->release);
	init_completion(&c->done);
	t = kthread_run(prt_contend, c, "prt_contend");
	if (IS_ERR(t)) {
		kfree(c);
		return NULL;
	}
	return c;
}

/* Let @c take the lock, if it waits for it, and finish. */
static bool prt_contender_finish(struct prt_contender *c)
{
	if (!wait_for_completion_timeout(&c->locked, PRT_STUCK))
		return false;	/* @c may still need its memory */
	complete(&c->release);
	wait_for_completion(&c->done);
	kfree(c);
	return true;
}

/* What a case found, filled in by its kthread. */
struct prt_case {
	struct completion done;
	void (*fn)(struct prt_case *pc);
	bool kept_out[3];	/* a contender waited while the depth was 1, 2 */
	bool contender_got_it;
};

static int prt_case_thread(void *data)
{
	struct prt_case *pc = data;

	pc->fn(pc);
	complete(&pc->done);
	return 0;
}

/* Run @fn in a kthread; false if it did not finish, and then leak it. */
static bool prt_run_case(struct prt_case *pc, void (*fn)(struct prt_case *pc))
{
	struct task_struct *t;

	init_completion(&pc->done);
	pc->fn = fn;
	t = kthread_run(prt_case_thread, pc, "prt_case");
	if (IS_ERR(t))
		return false;
	return wait_for_completion_timeout(&pc->done, 2 * PRT_STUCK);
}

static bool prt_kept_out(struct prt_contender *c)
{
	return !wait_for_completion_timeout(&c->locked, PRT_STILL_HELD);
}

static void prt_nest(struct prt_case *pc)
{
	struct prt_contender *c;

	pci_lock_rescan_remove();
	pci_lock_rescan_remove();
	c = prt_contender_start();
	if (!c) {
		pci_unlock_rescan_remove();
		pci_unlock_rescan_remove();
		return;
	}
	pc->kept_out[2] = prt_kept_out(c);
	pci_unlock_rescan_remove();
	pc->kept_out[1] = prt_kept_out(c);
	pci_unlock_rescan_remove();
	pc->contender_got_it = prt_contender_finish(c);
}

static void prt_rescan_lock_nests(struct kunit *test)
{
	struct prt_case *pc = kzalloc(sizeof(*pc), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pc);
	KUNIT_ASSERT_TRUE_MSG(test, prt_run_case(pc, prt_nest),
			      "the owner of the lock could not take it again");
	KUNIT_EXPECT_TRUE(test, pc->kept_out[2]);
	KUNIT_EXPECT_TRUE_MSG(test, pc->kept_out[1], "released by an inner unlock");
	KUNIT_EXPECT_TRUE_MSG(test, pc->contender_got_it, "not released by the outermost unlock");
	kfree(pc);
}

static void prt_guard_nest(struct prt_case *pc)
{
	struct prt_contender *c = NULL;

	scoped_guard(pci_rescan_remove) {
		guard(pci_rescan_remove)();
		c = prt_contender_start();
		if (c)
			pc->kept_out[2] = prt_kept_out(c);
	}
	if (c)
		pc->contender_got_it = prt_contender_finish(c);
}

static void prt_rescan_guard_nests(struct kunit *test)
{
	struct prt_case *pc = kzalloc(sizeof(*pc), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pc);
	KUNIT_ASSERT_TRUE_MSG(test, prt_run_case(pc, prt_guard_nest),
			      "the owner of the lock could not take it again");
	KUNIT_EXPECT_TRUE(test, pc->kept_out[2]);
	KUNIT_EXPECT_TRUE(test, pc->contender_got_it);
	kfree(pc);
}

/*
 * An unlock by a task that does not hold the lock, while another one does:
 * a warning, and the holder keeps the lock until it releases it itself.
 */
static void prt_rescan_unlock_by_other_task_warns(struct kunit *test)
{
	struct prt_contender *holder, *next;

	holder = prt_contender_start();
	KUNIT_ASSERT_NOT_NULL(test, holder);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&holder->locked, PRT_STUCK));

	kunit_warning_suppress(test) {
		pci_unlock_rescan_remove();
		KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 1);
	}

	next = prt_contender_start();
	KUNIT_ASSERT_NOT_NULL(test, next);
	KUNIT_EXPECT_TRUE_MSG(test, prt_kept_out(next), "the unlock released another task's lock");
	complete(&holder->release);
	wait_for_completion(&holder->done);
	kfree(holder);
	KUNIT_EXPECT_TRUE(test, prt_contender_finish(next));
}

/* An unlock when nobody holds the lock: a warning, and the lock still works. */
static void prt_rescan_unlock_unheld_warns(struct kunit *test)
{
	struct prt_contender *c;

	kunit_warning_suppress(test) {
		pci_unlock_rescan_remove();
		KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 1);
	}
	c = prt_contender_start();
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_TRUE(test, prt_contender_finish(c));
}

/* On a kernel whose lock does not nest, the first nesting case wedges it. */
static struct kunit_case prt_rescan_cases[] = {
	KUNIT_CASE(prt_rescan_unlock_unheld_warns),
	KUNIT_CASE(prt_rescan_unlock_by_other_task_warns),
	KUNIT_CASE(prt_rescan_lock_nests),
	KUNIT_CASE(prt_rescan_guard_nests),
	{}
};

struct kunit_suite prt_rescan_suite = {
	.name = "pci_rescan_remove_lock",
	.test_cases = prt_rescan_cases,
};
