#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The test sets, their expectations and the VM boots that run them.

Every <set>.expect file under drivers/ and tools/testing/ declares one test
set and each of its tests with its result on the unpatched base kernel:

  set <name> [boot=per-set|per-test] [shared=apart]
  <test id> pass|fail|fail:<kind>[|<kind>...]|any [smoke] [alone]
            [hotplug=acpi|native] [topology=<name>] [fixed-by: <patch>]

<kind> is lockdep, hung_task, warn, bug or timeout; with more than one,
base must show one of them (a race can end in a hang or in an oops,
whichever comes first). A failing test names the patch that fixes it by
the start of its file name in patches/. A smoke test must pass on the
patched kernel but proves no fix: no mutant and no base failure shows
that it can fail. "any" leaves its base result unjudged, and only a
smoke test may say it. An "alone" test of a per-set set has a boot of its
own where its set's tests boot per set (the base kernel's failing tests,
the mutants): its failure leaves what would taint the tests after it.
topology= names the VM's devices, tools/vm/topology-<name>.args
(default: topology.args).
shared=apart: where tests share boots, the set's tests share one of their
own per VM, named shared@<VM>:<set>, so that a set that runs for minutes
does not hold up the others: another guest runs them meanwhile.

  testsets.py plan [--sets SET,...] [--tests GLOB,...] [--shared|--isolated]
                   [--judged]
        one line per boot: "<boot> <hotplug> <glob> <hang> <topology>";
        <hang> is "proof" where every test of the boot is declared to hang
        the base kernel, so that a hang ends the boot, "end:<kinds>" for
        a boot of one test declared to fail with only such kinds, which
        ends at the first whole report of one of them, and "watch"
        elsewhere (tools/run-suite.sh); with --tests, only
        the boots that run a test one of those globs matches, each with
        only those tests. The boots follow each set's boot mode, or with
        --shared one boot per VM (hot-plug mode and topology) holds every
        test (a kernel
        that is expected to pass them all), or with --isolated each test
        has a boot of its own, named after it. --judged is the plan for
        the base kernel: it leaves out the tests whose base result is
        not judged ("any"), and the tests declared to pass there share
        one boot per VM, as on a kernel expected to pass them all.
  testsets.py index
        every declared test id

PRT_ROOT overrides the tree to search (default: this repository),
PRT_PATCHES the patch directory (default: $PRT_ROOT/patches).
Invalid expectations: one "file:line: problem" per line on stderr, exit 2.
"""
import argparse
import fnmatch
import os
import sys
from dataclasses import dataclass, field

KINDS = ('lockdep', 'hung_task', 'warn', 'bug', 'timeout')
BOOT_MODES = ('per-set', 'per-test')
HOTPLUG_MODES = ('acpi', 'native')
DEFAULT_TOPOLOGY = 'default'
# The kinds whose whole report tools/vm/run.sh can end a boot on.
END_KINDS = {'hung_task', 'lockdep', 'warn', 'bug'}
VM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'vm')
SEARCHED = ('drivers', 'tools/testing')


class ExpectError(Exception):
    """Invalid expectations: the message holds one problem per line."""


@dataclass
class Test:
    id: str
    set: str
    base: str               # pass, fail or any
    kind: str | None        # the failure kind base must show, if declared
    hotplug: str
    patch: str | None       # the file of the patch that fixes it
    where: str
    smoke: bool = False
    topology: str = DEFAULT_TOPOLOGY
    alone: bool = False

    def vm(self):
        return (self.hotplug, self.topology)

    def expect(self):
        return f'{self.base}:{self.kind}' if self.kind else self.base


@dataclass
class TestSet:
    name: str
    boot: str
    where: str
    apart: bool = False     # shared=apart
    tests: list = field(default_factory=list)


@dataclass
class Boot:
    name: str
    hotplug: str
    glob: str
    tests: list
    topology: str = DEFAULT_TOPOLOGY

    def hang(self):
        if all(t.kind == 'hung_task' for t in self.tests):
            return 'proof'
        kinds = (self.tests[0].kind or '').split('|')
        if len(self.tests) == 1 and set(kinds) <= END_KINDS:
            return 'end:' + ','.join(kinds)
        return 'watch'


def default_root():
    return os.environ.get('PRT_ROOT') or os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))


def expect_files(root):
    found = []
    for top in SEARCHED:
        for path, _, files in os.walk(os.path.join(root, top)):
            found += [os.path.join(path, f) for f in files if f.endswith('.expect')]
    return sorted(found)


def parse_set(words, rel, where):
    if words[0] != 'set' or len(words) not in (2, 3, 4):
        raise ValueError('expected "set <name> [boot=per-set|per-test] [shared=apart]" first')
    name, boot, apart = words[1], 'per-set', False
    if '.' in name:
        raise ValueError(f'set name {name} has a dot: test ids could not name it')
    if os.path.basename(rel) != f'{name}.expect':
        raise ValueError(f'set {name} must be declared in {name}.expect')
    for word in words[2:]:
        key, _, value = word.partition('=')
        if key == 'boot' and value in BOOT_MODES:
            boot = value
        elif key == 'boot':
            raise ValueError(f'bad boot mode "{value}" (per-set or per-test)')
        elif word == 'shared=apart':
            apart = True
        else:
            raise ValueError(f'unknown keyword "{word}"')
    return TestSet(name, boot, where, apart)


def parse_base(word):
    base, _, kind = word.partition(':')
    if base not in ('pass', 'fail', 'any') or (base != 'fail' and kind):
        raise ValueError(f'bad result "{word}" (pass, fail, fail:<kind> or any)')
    for k in kind.split('|') if kind else ():
        if k not in KINDS:
            raise ValueError(f'bad kind "{k}" ({", ".join(KINDS)})')
    return base, kind or None


def parse_options(words):
    """hotplug=<mode>, topology=<name>, smoke, alone and "fixed-by: <patch>",
    each at most once."""
    opts, i = {}, 0
    while i < len(words):
        if words[i] in ('smoke', 'alone'):
            key, value, i = words[i], True, i + 1
        elif words[i] == 'fixed-by:':
            if i + 1 == len(words):
                raise ValueError('"fixed-by:" names no patch')
            key, value, i = 'fixed-by', words[i + 1], i + 2
        elif words[i].startswith(('hotplug=', 'topology=')):
            key, _, value = words[i].partition('=')
            i += 1
        else:
            raise ValueError(f'unknown keyword "{words[i]}"')
        if key in opts:
            raise ValueError(f'{key} given twice')
        opts[key] = value
    if opts.get('hotplug', 'acpi') not in HOTPLUG_MODES:
        raise ValueError(f'bad hotplug mode "{opts["hotplug"]}" (acpi or native)')
    topology = opts.get('topology', DEFAULT_TOPOLOGY)
    if topology != DEFAULT_TOPOLOGY and \
            not os.path.isfile(os.path.join(VM_DIR, f'topology-{topology}.args')):
        raise ValueError(f'no topology "{topology}" (tools/vm/topology-{topology}.args)')
    return opts


def find_patch(stem, patches):
    matches = [p for p in patches if p.startswith(stem)]
    if len(matches) != 1:
        found = ', '.join(matches) or 'none'
        raise ValueError(f'fixed-by: {stem} must name one patch in patches/, found {found}')
    return matches[0]


def parse_test(words, tset, patches, where):
    if words[0] == 'set':
        raise ValueError('a second "set" line')
    if len(words) < 2:
        raise ValueError('expected "<test id> pass|fail[:<kind>] [options]"')
    tid = words[0]
    if not tid.startswith(tset.name + '.'):
        raise ValueError(f'test id {tid} does not start with its set name "{tset.name}."')
    base, kind = parse_base(words[1])
    opts = parse_options(words[2:])
    fixed_by = opts.get('fixed-by')
    if base == 'fail' and not fixed_by:
        raise ValueError(f'{tid} fails on base but names no "fixed-by: <patch>"')
    if base != 'fail' and fixed_by:
        raise ValueError(f'{tid} does not fail on base: nothing to be fixed by {fixed_by}')
    smoke = opts.get('smoke', False)
    if base == 'any' and not smoke:
        raise ValueError(f'{tid}: only a smoke test may leave its base result unjudged')
    if smoke and fixed_by:
        raise ValueError(f'{tid}: a smoke test proves no fix, yet names {fixed_by}')
    if opts.get('alone') and tset.boot == 'per-test':
        raise ValueError(f'{tid}: "alone" in a per-test set, where every test is')
    patch = find_patch(fixed_by, patches) if fixed_by else None
    return Test(tid, tset.name, base, kind, opts.get('hotplug', 'acpi'), patch, where,
                smoke, opts.get('topology', DEFAULT_TOPOLOGY), opts.get('alone', False))


def parse_file(path, rel, patches, errors):
    """The set one file declares; its problems go to errors."""
    tset = None
    with open(path, errors='replace') as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        words = line.split('#', 1)[0].split()
        if not words:
            continue
        where = f'{rel}:{n}'
        try:
            if tset is None:
                tset = parse_set(words, rel, where)
            else:
                tset.tests.append(parse_test(words, tset, patches, where))
        except ValueError as e:
            errors.append(f'{where}: {e}')
            if tset is None:
                return None     # without its set, the rest cannot be checked
    if tset is None:
        errors.append(f'{rel}: no "set <name>" line')
    elif not tset.tests:
        errors.append(f'{tset.where}: set {tset.name} declares no tests')
    return tset


def check_unique(sets, errors):
    """Set names (two files of one name in different places) and test ids."""
    first = {}
    for tset in sets:
        names = [('set', tset.name, tset.where)]
        names += [('test', t.id, t.where) for t in tset.tests]
        for what, name, where in names:
            if (what, name) in first:
                errors.append(f'{where}: duplicate {what} {name} '
                              f'(first at {first[what, name]})')
            first.setdefault((what, name), where)


def load(root=None, patches=None):
    """Every test set, sorted by name; ExpectError if any file is invalid."""
    root = root or default_root()
    patches = patches or os.environ.get('PRT_PATCHES') or os.path.join(root, 'patches')
    if not os.path.isdir(patches):
        raise ExpectError(f'{patches}: no such patch directory')
    names = sorted(p for p in os.listdir(patches) if p.endswith('.patch'))
    errors, sets = [], []
    for path in expect_files(root):
        tset = parse_file(path, os.path.relpath(path, root), names, errors)
        sets += [tset] if tset else []
    check_unique(sets, errors)
    if errors:
        raise ExpectError('\n'.join(errors))
    return sorted(sets, key=lambda s: s.name)


def all_tests(sets):
    return {t.id: t for s in sets for t in s.tests}


def globs_for(tests, sets):
    """The prt.tests= globs that run these tests: "<set>.*" for a whole set."""
    globs = []
    for tset in sets:
        mine = [t for t in tests if t.set == tset.name]
        if mine and len(mine) == len(tset.tests):
            globs.append(f'{tset.name}.*')
        else:
            globs += [t.id for t in mine]
    return ','.join(globs)


def vm_name(vm):
    hotplug, topology = vm
    return hotplug if topology == DEFAULT_TOPOLOGY else f'{hotplug}+{topology}'


def vm_boots(prefix, tests, sets, suffix=True):
    """One boot per VM (hot-plug mode and topology), as a guest has one;
    named <prefix>@<hotplug>[+<topology>] unless suffix is False."""
    boots = []
    for vm in sorted({t.vm() for t in tests}):
        mine = [t for t in tests if t.vm() == vm]
        name = f'{prefix}@{vm_name(vm)}' if suffix else prefix
        boots.append(Boot(name, vm[0], globs_for(mine, sets), mine, vm[1]))
    return boots


def shared_boots(tests, sets):
    """One shared boot per VM, and one more per VM for each set that says
    shared=apart, named shared@<VM>:<set>. Those come first: the lanes
    take boots in order (tools/run-suite.sh), and the others run beside
    them."""
    apart = [s for s in sets if s.apart]
    boots = []
    for tset in apart:
        for boot in vm_boots('shared', [t for t in tests if t.set == tset.name], [tset]):
            boot.name += f':{tset.name}'
            boots.append(boot)
    rest = [t for t in tests if t.set not in {s.name for s in apart}]
    # A guest with two NUMA nodes runs each test slower: those boots come
    # next, and the shorter ones fill the other lane after them.
    rest = sorted(vm_boots('shared', rest, sets) if rest else [],
                  key=lambda b: b.topology != 'numa')
    return boots + rest


def own_boot(test):
    return Boot(test.id, test.hotplug, test.id, [test], test.topology)


def set_boots(tset, tests):
    if tset.boot == 'per-test':
        return [own_boot(t) for t in tests]
    together = [t for t in tests if not t.alone]
    # Named after the VM if the whole set needs more than one.
    vms = {t.vm() for t in tset.tests if not t.alone}
    boots = vm_boots(tset.name, together, [tset], len(vms) > 1) if together else []
    return boots + [own_boot(t) for t in tests if t.alone]


def select(sets, only_tests):
    """The declared tests that one of the globs matches; ExpectError names
    a glob that matches none."""
    tests = [t for s in sets for t in s.tests]
    if not only_tests:
        return tests
    unmatched = [g for g in only_tests
                 if not any(fnmatch.fnmatchcase(t.id, g) for t in tests)]
    if unmatched:
        raise ExpectError(f'not declared: {", ".join(unmatched)}')
    return [t for t in tests if any(fnmatch.fnmatchcase(t.id, g) for g in only_tests)]


def plan(sets, only_sets=None, only_tests=None, mode=None, judged=False):
    """The boots that run the sets (all or only_sets), and of them only the
    tests one of the only_tests globs matches (if given) and, if judged,
    whose base result is judged, in the sets' own boot modes, or "shared"
    or "isolated"; ExpectError names unknown sets and tests."""
    unknown = sorted(set(only_sets or ()) - {s.name for s in sets})
    if unknown:
        raise ExpectError(f'not declared: {", ".join(unknown)}')
    select(sets, only_tests)        # a glob that matches no test at all
    sets = [s for s in sets if not only_sets or s.name in only_sets]
    tests = [t for t in select(sets, None)
             if not only_tests or any(fnmatch.fnmatchcase(t.id, g) for g in only_tests)]
    tests = [t for t in tests if not judged or t.base != 'any']
    if mode == 'shared':
        return shared_boots(tests, sets)
    if mode == 'isolated':
        return [own_boot(t) for t in tests]
    boots = []
    if judged:
        passing = [t for t in tests if t.base == 'pass']
        boots += shared_boots(passing, sets)
        tests = [t for t in tests if t.base != 'pass']
    for tset in sets:
        mine = [t for t in tests if t.set == tset.name]
        boots += set_boots(tset, mine) if mine else []
    return boots


def split_list(arg):
    return [w for w in arg.split(',') if w] if arg else None


def main():
    parser = argparse.ArgumentParser(
        description='Test sets and the VM boots that run them.')
    sub = parser.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('plan', help='one line per boot: <boot> <hotplug> <glob>')
    p.add_argument('--sets', help='comma-separated set names')
    p.add_argument('--tests', help='comma-separated test ids or globs')
    how = p.add_mutually_exclusive_group()
    how.add_argument('--shared', dest='mode', action='store_const', const='shared',
                     help='one boot per VM for all the tests')
    how.add_argument('--isolated', dest='mode', action='store_const', const='isolated',
                     help='one boot per test')
    p.add_argument('--judged', action='store_true',
                   help="the base kernel's plan: judged tests only, passing ones shared")
    sub.add_parser('index', help='every declared test id')
    args = parser.parse_args()
    try:
        sets = load()
        if args.cmd == 'index':
            print('\n'.join(sorted(all_tests(sets))))
            return 0
        for b in plan(sets, split_list(args.sets), split_list(args.tests), args.mode,
                      args.judged):
            print(b.name, b.hotplug, b.glob, b.hang(), b.topology)
    except ExpectError as e:
        print(e, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
