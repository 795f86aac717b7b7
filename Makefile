# SPDX-License-Identifier: GPL-2.0
# pci-reset-locking: a patch series for the PCI core, the IOMMU core and
# vfio-pci, and the tests that prove it in a VM. See README.
#
# The kernel module's own build goes through Kbuild (make -C <kernel> M=$PWD).
#
# All kernels are built from one worktree, SRC, checked out in turn at the
# base, the series and the mutants, into O= directories of equal depth:
# the compiler then sees the same paths for every kernel and ccache serves
# everything but the files that differ.

CACHE	:= $(CURDIR)/.cache
OUT	:= $(CURDIR)/out
KSRC	?= $(CACHE)/linux
BASE	?= v7.3.4
BRANCH	?= pci-reset-locking
SERIES	?= patches
O	?= $(OUT)/build/patched
O_BASE	?= $(OUT)/build/base
SRC	:= $(CACHE)/src/linux
# A second worktree, where the gates that do not build the x86 test
# kernel run beside its bisect (tools/gates.sh).
SRC_CROSS := $(CACHE)/src/linux-cross
STAGE	:= tools/stage.sh
SELFTESTS := $(OUT)/selftests
# T=<glob>[,<glob>...]: only the tests these globs match, on every kernel.
T	?=
# Guests booted at once: on two cores, two finish a suite sooner than one,
# as a guest sleeps through much of its tests (tools/run-suite.sh). The
# patched kernel's few shared boots sleep the most, and four at once
# finish them sooner still; the base kernel's many short boots keep both
# cores busy with two (Documentation/test-environment.rst).
VM_JOBS	?= 2
VM_JOBS_SHARED ?= 4
PLAN	:= $(if $(T),--tests '$(T)')

export KSRC BASE BRANCH SERIES O O_BASE SRC SRC_CROSS OUT T VM_JOBS

.PHONY: all deps tree apply export submission kernel base-kernel selftests \
	vm-base vm-patched test check gates mutants gates-selftest \
	report-selftest bench kcsan clean

all: test

deps:
	tools/install-deps.sh

tree:
ifeq ($(KSRC),$(CACHE)/linux)
	@$(STAGE) tree tools/get-tree.sh $(CACHE)
endif
	@git -C $(KSRC) rev-parse -q --verify '$(BASE)^{commit}' >/dev/null || \
		{ echo "$(KSRC) has no $(BASE): set BASE= to the series base"; exit 1; }

apply: tree
	@$(STAGE) apply tools/apply-series.sh $(KSRC) $(BASE) $(BRANCH) $(SRC) $(SERIES)

# After editing the branch in $(SRC) with git (rebase -i, commit --amend,
# branch --edit-description for the cover letter). patches/ keeps the
# series' placeholder identity whoever exports it, unless PRT_NAME and
# PRT_EMAIL say otherwise.
export:
	PRT_NAME="$${PRT_NAME:-Pci Reset Locking}" \
	PRT_EMAIL="$${PRT_EMAIL:-pci-reset-locking@example.org}" \
		tools/export-series.sh $(SRC) $(BASE) $(BRANCH) $(SERIES)

# The independent series to send, as you: PRT_NAME and PRT_EMAIL (default:
# git config user.name and user.email) in place of the placeholder, one
# directory per "# series" group of patches/series in out/submission, each
# checked (SUBMISSION_BUILD=0 skips its builds).
submission: apply
	@rm -rf $(OUT)/submission
	@tools/submission.sh $(SERIES)/series $(OUT)/submission $(OUT)/submission.txt

kernel: apply
	@$(STAGE) build-patched tools/build-kernel.sh $(SRC) $(O)

# A first base build starts from a copy of the series' build, which has the
# same config: make then compiles only what the series changed, where
# fetching every other object from ccache again took 51 s against 19 s,
# for the same image.
base-kernel: apply
	@git -C $(SRC) checkout -q --detach $(BASE)
	@[ -d $(O_BASE) ] || [ ! -f $(O)/vmlinux ] || cp -a $(O) $(O_BASE)
	@$(STAGE) build-base tools/build-kernel.sh $(SRC) $(O_BASE)

SELFTEST_DIRS := $(wildcard tools/testing/selftests/*/)

# Each program is one static link: in parallel, 12 s against 24 s here.
selftests: tree
	@mkdir -p $(SELFTESTS)
	@$(STAGE) selftests sh -c 'for d in $(SELFTEST_DIRS); do \
		$(MAKE) -s -j$$(($$(nproc) + 1)) -C $$d O=$(SELFTESTS) KSRC=$(KSRC) || exit; done'

# The modules are built against the tree as checked out, so each VM run
# follows the build of its kernel. tools/testsets.py plans the boots from
# the .expect file beside each test set. Base runs only the tests whose
# result there is judged, and those declared to pass share boots. The
# patched kernel is expected to pass everything: its tests share boots.
# A test that does not pass cleanly in a shared boot runs again alone.
vm-base: base-kernel selftests
	@$(STAGE) vm-base tools/run-suite.sh $(O_BASE) $(OUT)/vm/base $(SELFTESTS) \
		--judged $(PLAN)

vm-patched: kernel selftests
	@VM_JOBS=$(VM_JOBS_SHARED) $(STAGE) vm-patched tools/run-suite.sh $(O) \
		$(OUT)/vm/patched $(SELFTESTS) --shared $(PLAN)

# The main job: the patched kernel, the module and the suite in the VM.
test: vm-patched
	@REPORT_JSON=$(OUT)/test.json tools/report.py test $(OUT)/vm/patched

gates: base-kernel
	@$(STAGE) gates tools/gates.sh $(OUT)/gates.txt

mutants: kernel selftests
	@$(STAGE) mutants tools/mutants.sh $(OUT)/mutants.txt

# Before/after: both kernels, the static gates and the mutants. The
# patched kernel first: after make test, its build is then up to date.
check:
	@mkdir -p $(OUT) && date +%s >$(OUT)/check.start
	@$(MAKE) -s vm-patched
	@$(MAKE) -s vm-base
	@$(STAGE) gates tools/gates.sh $(OUT)/gates.txt || true
	@$(STAGE) mutants tools/mutants.sh $(OUT)/mutants.txt || true
	@$(STAGE) kcsan tools/kcsan-check.sh $(OUT)/kcsan.txt $(SELFTESTS) || true
	@$(STAGE) report-selftest sh -c 'tools/report-selftest.sh >$(OUT)/report-selftest.txt' || true
	@REPORT_JSON=$(OUT)/check.json \
	PRT_ELAPSED=$$(($$(date +%s) - $$(cat $(OUT)/check.start))) tools/report.py check \
		$(OUT)/vm/base $(OUT)/vm/patched $(OUT)/gates.txt $(OUT)/mutants.txt \
		$(OUT)/kcsan.txt $(OUT)/report-selftest.txt

# The gates must reject the deliberately bad sample series.
gates-selftest: base-kernel
	@$(STAGE) gates-selftest tools/gates-selftest.sh
	@git -C $(SRC) checkout -q $(BRANCH)

# The report's golden tests, and a broken report that they must catch.
report-selftest:
	@mkdir -p $(OUT)
	@$(STAGE) report-selftest sh -c 'tools/report-selftest.sh | tee $(OUT)/report-selftest.txt; \
		! grep -q ^FAIL $(OUT)/report-selftest.txt'

# Figures, base against patched in one run: tools/bench.sh, on the test
# kernels (lockdep) and on kernels without lock debugging, as users run.
bench:
	@$(MAKE) -s base-kernel
	@$(MAKE) -s kernel selftests
	@$(STAGE) bench tools/bench.sh $(O_BASE) $(O) $(SELFTESTS) $(OUT)/bench lockdep
	@git -C $(SRC) checkout -q --detach $(BASE)
	@$(STAGE) build-base-nodebug tools/build-kernel.sh $(SRC) $(OUT)/build/base-nodebug \
		tools/kconfig/nodebug.config
	@git -C $(SRC) checkout -q $(BRANCH)
	@$(STAGE) build-patched-nodebug tools/build-kernel.sh $(SRC) $(OUT)/build/patched-nodebug \
		tools/kconfig/nodebug.config
	@$(STAGE) bench-nodebug tools/bench.sh $(OUT)/build/base-nodebug \
		$(OUT)/build/patched-nodebug $(SELFTESTS) $(OUT)/bench-nodebug "no lockdep"

# The suite once more on the patched kernel, with the KCSAN that every
# test kernel has built in switched on.
kcsan: kernel selftests
	@PRT_APPEND="$${PRT_APPEND:+$$PRT_APPEND }kcsan.early_enable=1" \
		$(STAGE) vm-kcsan tools/run-suite.sh $(O) $(OUT)/vm/kcsan $(SELFTESTS) $(PLAN)
	@REPORT_JSON=$(OUT)/kcsan.json tools/report.py test $(OUT)/vm/kcsan

clean:
	rm -rf $(OUT)
