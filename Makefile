# SPDX-License-Identifier: GPL-2.0
# pci-reset-locking: a patch series for the PCI core, the IOMMU core and
# vfio-pci, and the tests that prove it in a VM. See README.
#
# The kernel module's own build goes through Kbuild (make -C <kernel> M=$PWD).

CACHE	:= $(CURDIR)/.cache
OUT	:= $(CURDIR)/out
KSRC	?= $(CACHE)/linux
BASE	?= v7.3.4
BRANCH	?= pci-reset-locking
SERIES	?= patches
O	?= $(OUT)/build/patched
O_BASE	?= $(OUT)/build/base
SRC	:= $(CACHE)/src
EXPECT	:= tools/tests.expect
STAGE	:= tools/stage.sh
SELFTESTS := $(OUT)/selftests

export KSRC BASE BRANCH SERIES O O_BASE SRC OUT

.PHONY: all deps tree apply export kernel base-kernel selftests test check \
	gates mutants gates-selftest clean

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
	@$(STAGE) apply tools/apply-series.sh $(KSRC) $(BASE) $(BRANCH) $(SRC)/patched $(SERIES)

# After editing the branch in $(SRC)/patched with git (rebase -i, commit
# --amend, branch --edit-description for the cover letter).
export:
	tools/export-series.sh $(SRC)/patched $(BASE) $(BRANCH) $(SERIES)

kernel: apply
	@$(STAGE) build-patched tools/build-kernel.sh $(SRC)/patched $(O)

base-kernel: tree
	@git -C $(KSRC) worktree prune
	@[ -d $(SRC)/base ] || git -C $(KSRC) worktree add -q --detach $(SRC)/base $(BASE)
	@git -C $(SRC)/base checkout -q --detach $(BASE)
	@$(STAGE) build-base tools/build-kernel.sh $(SRC)/base $(O_BASE)

selftests: tree
	@mkdir -p $(SELFTESTS)
	@$(STAGE) selftests $(MAKE) -s -C tools/testing/selftests/pci_reset \
		O=$(SELFTESTS) KSRC=$(KSRC)

# The main job: the patched kernel, the module and the suite in the VM.
test: kernel selftests
	@$(STAGE) vm-patched tools/run-suite.sh $(O) $(OUT)/vm/patched $(SELFTESTS)
	@REPORT_JSON=$(OUT)/test.json tools/report.py test $(EXPECT) $(OUT)/vm/patched

gates: apply base-kernel
	@$(STAGE) gates tools/gates.sh $(OUT)/gates.txt

mutants: kernel selftests
	@$(STAGE) mutants tools/mutants.sh $(OUT)/mutants.txt

# Before/after: both kernels, the static gates and the mutants.
check: base-kernel kernel selftests
	@$(STAGE) vm-base tools/run-suite.sh $(O_BASE) $(OUT)/vm/base $(SELFTESTS)
	@$(STAGE) vm-patched tools/run-suite.sh $(O) $(OUT)/vm/patched $(SELFTESTS)
	@$(STAGE) gates tools/gates.sh $(OUT)/gates.txt || true
	@$(STAGE) mutants tools/mutants.sh $(OUT)/mutants.txt || true
	@REPORT_JSON=$(OUT)/check.json tools/report.py check $(EXPECT) \
		$(OUT)/vm/base $(OUT)/vm/patched $(OUT)/gates.txt $(OUT)/mutants.txt

# The gates must reject the deliberately bad sample series.
gates-selftest: base-kernel
	@$(STAGE) gates-selftest tools/gates-selftest.sh

clean:
	rm -rf $(OUT)
