// SPDX-License-Identifier: GPL-2.0-only
/// A reset's result tells whether the device was reset (or can be). A
/// caller that drops it reports a reset that did not happen as done, and
/// a reset method whose probe returns a positive value ends the probing
/// of the methods after it, as only 0 and -ENOTTY are expected there.
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
|
pci_bridge_secondary_bus_reset@p(...);
|
pcibios_reset_secondary_bus@p(...);
)

@script:python depends on r && report@
p << r.p;
@@
coccilib.report.print_report(p[0], "reset result ignored")

@probe depends on report@
identifier fn, dev, probe;
type T;
expression E;
position p;
@@
int fn(T dev, bool probe)
{
<...
if (probe)
	return !E@p;
...>
}

@script:python depends on probe && report@
p << probe.p;
@@
coccilib.report.print_report(p[0], "reset probe returns a positive value")
