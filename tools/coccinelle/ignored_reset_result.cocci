// SPDX-License-Identifier: GPL-2.0-only
/// The result of pcie_flr(), pcie_reset_flr() or pci_dev_reset_iommu_prepare()
/// tells whether the device was reset (or can be). A caller that drops it
/// reports a reset that did not happen as done.
//
// Confidence: High
// Options: --no-includes --include-headers

virtual report

@r depends on report@
position p;
@@
(
pcie_flr@p(...);
|
pcie_reset_flr@p(...);
|
pci_dev_reset_iommu_prepare@p(...);
)

@script:python depends on r && report@
p << r.p;
@@
coccilib.report.print_report(p[0], "reset result ignored")
