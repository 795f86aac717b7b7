#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read test VM logs, compare them with the declared expectations, print a
table and a JSON summary.

  report.py test   EXPECT RUNDIR              one kernel: every test must pass
  report.py check  EXPECT BASEDIR PATCHEDDIR [ITEMS...]
                                              before/after; ITEMS files hold
                                              "ok|FAIL <name> [detail]" lines
                                              from the gates and mutants
  report.py caught EXPECT RUNDIR [MUST...]    exit 0 if this run fails: every
                                              MUST test fails ("splat": a
                                              splat is reported), or, with
                                              no MUST, anything fails

EXPECT lists every test as "<id> pass|fail": its result on the base kernel.
"fail" marks a test that detects a bug a patch fixes; such a test passing on
base has no teeth and fails the check.
"""
import json
import os
import re
import sys

SPLAT = re.compile(
    r'(WARNING: |BUG: |Oops|Kernel panic|kernel BUG at|general protection fault'
    r'|INFO: task \S+ blocked for more than|UBSAN: |KCSAN: '
    r'|INFO: (possible|inconsistent) .*lock|DMAR: .*fault)')
RESULT = re.compile(r'^(\s*)(ok|not ok) \d+ (\S+)(.*)$')


def read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def load_expect(path):
    expect = {}
    for line in read(path):
        line = line.split('#', 1)[0].split()
        if len(line) == 2 and line[1] in ('pass', 'fail'):
            expect[line[0]] = line[1]
    return expect


def parse_results(rundir):
    """Map test id -> pass/fail/skip from results.log (KTAP/TAP blocks)."""
    results, block, lines = {}, None, []
    done = False
    for line in read(os.path.join(rundir, 'results.log')):
        if line.startswith('PRT-BEGIN '):
            block, lines = line.split()[1], []
        elif line.startswith('PRT-END ') and block:
            leaves = [m for m in map(RESULT.match, lines) if m]
            depth = max((len(m.group(1)) for m in leaves), default=0)
            for m in leaves:
                if len(m.group(1)) != depth:
                    continue
                skip = re.search(r'#\s*SKIP', m.group(4), re.I)
                verdict = 'skip' if skip else ('pass' if m.group(2) == 'ok' else 'fail')
                results[block + '.' + m.group(3)] = verdict
            block = None
        elif line == 'PRT-DONE':
            done = True
        elif block:
            lines.append(line)
    return results, done


def scan_splats(rundir):
    """Kernel splats in console.log, each with the test that was running."""
    splats, test = [], 'boot'
    lines = read(os.path.join(rundir, 'console.log'))
    for i, line in enumerate(lines):
        m = re.search(r'prt: running (\S+)', line)
        if m:
            test = m.group(1)
        elif SPLAT.search(line):
            splats.append({'test': test, 'line': line.strip(),
                           'excerpt': '\n'.join(lines[i:i + 20])})
    return splats


def vm_status(rundir):
    lines = read(os.path.join(rundir, 'vm-status'))
    return lines[0] if lines else 'not run'


def run_summary(rundir):
    results, done = parse_results(rundir)
    splats, vm = scan_splats(rundir), vm_status(rundir)
    if vm.startswith('killed'):
        # A guest that cannot power off is stuck on something: a hang.
        splats.append({'test': 'shutdown', 'line': f'guest {vm}', 'excerpt': ''})
    return {'results': results, 'complete': done, 'vm': vm, 'splats': splats}


def print_splats(name, run):
    if not run['complete']:
        print(f'{name}: guest did not finish its tests ({run["vm"]})')
    for s in run['splats']:
        print(f'--- {name}: kernel splat during {s["test"]}: {s["line"]}')
        print(s['excerpt'])
        print('---')


def cmd_test(expect, rundir):
    run = run_summary(rundir)
    items = []
    print(f'{"test":<72} result')
    for t in sorted(expect):
        r = run['results'].get(t, 'missing')
        print(f'{t:<72} {r}')
        items.append((t, r == 'pass'))
    for t in sorted(set(run['results']) - set(expect)):
        print(f'{t:<72} {run["results"][t]} (undeclared in {sys.argv[2]})')
        items.append((t, False))
    print_splats('kernel', run)
    items.append(('no kernel splats', not run['splats'] and run['complete']))
    return items, {'run': run}


def load_items(paths):
    items = []
    for path in paths:
        lines = read(path)
        if not lines:
            items.append((f'{os.path.basename(path)}: not produced', False))
        for line in lines:
            verdict, _, rest = line.partition(' ')
            if verdict in ('ok', 'FAIL'):
                items.append((rest, verdict == 'ok'))
    return items


def cmd_check(expect, basedir, patcheddir, extra):
    base, patched = run_summary(basedir), run_summary(patcheddir)
    items, rows = [], []
    print(f'{"test":<66} {"base":<8} {"patched":<8} expect-base  verdict')
    for t in sorted(set(expect) | set(base['results']) | set(patched['results'])):
        b = base['results'].get(t, 'missing')
        p = patched['results'].get(t, 'missing')
        e = expect.get(t)
        if e is None:
            ok, why = False, 'undeclared'
        elif p != 'pass':
            ok, why = False, 'fails on patched'
        elif b != e:
            ok, why = False, 'no teeth: passes on base' if e == 'fail' else 'regression: fails on base'
        else:
            ok, why = True, 'ok'
        print(f'{t:<66} {b:<8} {p:<8} {e or "?":<12} {why}')
        rows.append({'test': t, 'base': b, 'patched': p, 'expect_base': e, 'ok': ok})
        items.append((t, ok))
    print()
    for name, run in (('base', base), ('patched', patched)):
        print(f'{name}: {len(run["splats"])} kernel splats, vm {run["vm"]}, '
              f'{"complete" if run["complete"] else "INCOMPLETE"}')
    print_splats('patched', patched)
    items.append(('patched: no kernel splats', not patched['splats'] and patched['complete']))
    gates = load_items(extra)
    if gates:
        print()
        for name, ok in gates:
            print(f'{"ok  " if ok else "FAIL"} {name}')
    items += gates
    return items, {'tests': rows, 'base': base, 'patched': patched}


def cmd_caught(expect, rundir, must):
    run = run_summary(rundir)
    failed = [t for t in expect if run['results'].get(t) != 'pass']
    for t in failed:
        print(f'  fails: {t} ({run["results"].get(t, "missing")})')
    for s in run['splats'][:4]:
        print(f'  splat: {s["line"]} (during {s["test"]})')
    if not run['complete']:
        print(f'  incomplete ({run["vm"]})')
    if not must:
        return bool(failed or run['splats'] or not run['complete'])
    missed = [t for t in must if (not run['splats'] if t == 'splat' else t not in failed)]
    for t in missed:
        print(f'  expected to catch it but did not: {t}')
    return not missed


def main():
    mode, expect = sys.argv[1], load_expect(sys.argv[2])
    if mode == 'caught':
        sys.exit(0 if cmd_caught(expect, sys.argv[3], sys.argv[4:]) else 1)
    if mode == 'test':
        items, data = cmd_test(expect, sys.argv[3])
    else:
        items, data = cmd_check(expect, sys.argv[3], sys.argv[4], sys.argv[5:])
    out = os.environ.get('REPORT_JSON')
    if out:
        data['items'] = [{'name': n, 'ok': ok} for n, ok in items]
        with open(out, 'w') as f:
            json.dump(data, f, indent=1)
    npass = sum(ok for _, ok in items)
    print(f'{npass} passed, {len(items) - npass} failed')
    sys.exit(0 if npass == len(items) else 1)


if __name__ == '__main__':
    main()
