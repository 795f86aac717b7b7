#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The test sets, their expectations and the VM boots that run them.

Every <set>.expect file under drivers/ and tools/testing/ declares one test
set and each of its tests with its result on the unpatched base kernel:

  set <name> [boot=per-set|per-test]
  <test id> pass|fail|fail:<kind> [hotplug=acpi|native] [fixed-by: <patch>]

<kind> is lockdep, hung_task, warn or timeout. A failing test names the
patch that fixes it by the start of its file name in patches/.

  testsets.py plan [--sets SET,...] [--tests ID,...]
        one line per boot: "<boot> <hotplug> <glob>"; with --tests, only
        the boots that run one of those tests
  testsets.py index
        every declared test id

PRT_ROOT overrides the tree to search (default: this repository),
PRT_PATCHES the patch directory (default: $PRT_ROOT/patches).
Invalid expectations: one "file:line: problem" per line on stderr, exit 2.
"""
import argparse
import os
import sys
from dataclasses import dataclass, field

KINDS = ('lockdep', 'hung_task', 'warn', 'timeout')
BOOT_MODES = ('per-set', 'per-test')
HOTPLUG_MODES = ('acpi', 'native')
SEARCHED = ('drivers', 'tools/testing')


class ExpectError(Exception):
    """Invalid expectations: the message holds one problem per line."""


@dataclass
class Test:
    id: str
    set: str
    base: str               # pass or fail
    kind: str | None        # the failure kind base must show, if declared
    hotplug: str
    patch: str | None       # the file of the patch that fixes it
    where: str

    def expect(self):
        return f'{self.base}:{self.kind}' if self.kind else self.base


@dataclass
class TestSet:
    name: str
    boot: str
    where: str
    tests: list = field(default_factory=list)


@dataclass
class Boot:
    name: str
    hotplug: str
    glob: str
    tests: list


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
    if words[0] != 'set' or len(words) not in (2, 3):
        raise ValueError('expected "set <name> [boot=per-set|per-test]" first')
    name, boot = words[1], 'per-set'
    if '.' in name:
        raise ValueError(f'set name {name} has a dot: test ids could not name it')
    if os.path.basename(rel) != f'{name}.expect':
        raise ValueError(f'set {name} must be declared in {name}.expect')
    if len(words) == 3:
        key, _, boot = words[2].partition('=')
        if key != 'boot':
            raise ValueError(f'unknown keyword "{words[2]}"')
        if boot not in BOOT_MODES:
            raise ValueError(f'bad boot mode "{boot}" (per-set or per-test)')
    return TestSet(name, boot, where)


def parse_base(word):
    base, _, kind = word.partition(':')
    if base not in ('pass', 'fail') or (base == 'pass' and kind):
        raise ValueError(f'bad result "{word}" (pass, fail or fail:<kind>)')
    if kind and kind not in KINDS:
        raise ValueError(f'bad kind "{kind}" ({", ".join(KINDS)})')
    return base, kind or None


def parse_options(words):
    """hotplug=<mode> and "fixed-by: <patch>", each at most once."""
    opts, i = {}, 0
    while i < len(words):
        if words[i] == 'fixed-by:':
            if i + 1 == len(words):
                raise ValueError('"fixed-by:" names no patch')
            key, value, i = 'fixed-by', words[i + 1], i + 2
        elif words[i].startswith('hotplug='):
            key, value, i = 'hotplug', words[i].partition('=')[2], i + 1
        else:
            raise ValueError(f'unknown keyword "{words[i]}"')
        if key in opts:
            raise ValueError(f'{key} given twice')
        opts[key] = value
    if opts.get('hotplug', 'acpi') not in HOTPLUG_MODES:
        raise ValueError(f'bad hotplug mode "{opts["hotplug"]}" (acpi or native)')
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
    if base == 'pass' and fixed_by:
        raise ValueError(f'{tid} passes on base: nothing to be fixed by {fixed_by}')
    patch = find_patch(fixed_by, patches) if fixed_by else None
    return Test(tid, tset.name, base, kind, opts.get('hotplug', 'acpi'), patch, where)


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


def set_boots(tset):
    if tset.boot == 'per-test':
        return [Boot(t.id, t.hotplug, t.id, [t]) for t in tset.tests]
    modes = sorted({t.hotplug for t in tset.tests})
    if len(modes) == 1:
        return [Boot(tset.name, modes[0], f'{tset.name}.*', tset.tests)]
    # One guest has one hotplug mode: a boot per mode, named after it.
    boots = []
    for mode in modes:
        tests = [t for t in tset.tests if t.hotplug == mode]
        boots.append(Boot(f'{tset.name}@{mode}', mode,
                          ','.join(t.id for t in tests), tests))
    return boots


def plan(sets, only_sets=None, only_tests=None):
    """The boots that run the sets (all or only_sets) and contain one of
    only_tests (if given); ExpectError names unknown sets and tests."""
    unknown = sorted(set(only_sets or ()) - {s.name for s in sets}) + \
        sorted(set(only_tests or ()) - set(all_tests(sets)))
    if unknown:
        raise ExpectError(f'not declared: {", ".join(unknown)}')
    boots = [b for s in sets if not only_sets or s.name in only_sets
             for b in set_boots(s)]
    if only_tests:
        boots = [b for b in boots if any(t.id in only_tests for t in b.tests)]
    return boots


def split_list(arg):
    return [w for w in arg.split(',') if w] if arg else None


def main():
    parser = argparse.ArgumentParser(
        description='Test sets and the VM boots that run them.')
    sub = parser.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('plan', help='one line per boot: <boot> <hotplug> <glob>')
    p.add_argument('--sets', help='comma-separated set names')
    p.add_argument('--tests', help='comma-separated test ids')
    sub.add_parser('index', help='every declared test id')
    args = parser.parse_args()
    try:
        sets = load()
        if args.cmd == 'index':
            print('\n'.join(sorted(all_tests(sets))))
            return 0
        for b in plan(sets, split_list(args.sets), split_list(args.tests)):
            print(b.name, b.hotplug, b.glob)
    except ExpectError as e:
        print(e, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
