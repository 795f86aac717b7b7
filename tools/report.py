#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read the test VM runs of a kernel, compare them with the expectations
of tools/testsets.py, print a table and a JSON summary.

  report.py test   RUNDIR                   one kernel: every declared test
                                            passes, no boot has a kernel
                                            splat, every boot finished
  report.py check  BASEDIR PATCHEDDIR [ITEMS...]
                                            before/after; ITEMS files hold
                                            "ok|FAIL <name>" lines from the
                                            gates and mutants
  report.py caught RUNDIR [MUST...]         exit 0 if this run fails: every
                                            MUST test fails ("splat": a boot
                                            has a splat), or, with no MUST,
                                            anything fails
  report.py rerun  RUNDIR                   the tests of shared boots that
                                            need a boot of their own: they
                                            failed, or a splat or a hang met
                                            their set

A run directory holds the file "boots" (one "<boot> <hotplug> <glob> ..."
line per planned boot) and a directory per boot with console.log,
results.log and vm-status; console.lost.log and vm-status.lost are those
of a first boot that run-suite.sh lost before any test, and booted again.
A boot named after a test is that test's own, and the kinds of its
failure come from there. test and check end with "N passed, N failed"
and write the JSON summary to $REPORT_JSON if set. Exit 1 if anything
failed, 2 if the expectations are invalid.
"""
import fnmatch
import json
import os
import re
import sys

import testsets

# Kernel splats, by kind; the first pattern that matches a line names it.
# Lockdep reports start with "WARNING:" too, so they come before warn.
SPLATS = [(kind, re.compile(pattern)) for kind, pattern in (
    ('lockdep', r'WARNING: (possible circular locking|possible recursive locking'
                r'|inconsistent lock state|possible irq lock inversion'
                r'|\S+-safe -> \S+-unsafe lock order|Nested lock was not taken'
                r'|bad unlock balance|held lock freed|\S+ still has locks held'
                r'|lock held when returning|suspicious RCU usage)'
                r'|INFO: (possible|inconsistent) .*lock'),
    ('hung_task', r'INFO: task .* blocked.* for more than'),
    ('rcu_stall', r'rcu: INFO: .*detected stall'),
    ('kcsan', r'KCSAN: '),
    ('ubsan', r'UBSAN: '),
    ('warn', r'WARNING: '),
    ('dmar', r'DMAR: .*fault'),
    ('panic', r'Kernel panic'),
    ('bug', r'BUG: |kernel BUG at|Oops: |general protection fault'),
)]
MARK = re.compile(r'prt: (running (\S+)|tests done)')
RESULT = re.compile(r'(not ok|ok) \d+ (?:- )?([^#\s]\S*)(.*)')
SUBTEST = re.compile(r'# Subtest: (\S+)')
RUN = re.compile(r'#\s+RUN\s+(\S+) \.\.\.')
# The kselftest harness's first word on a failed expectation.
ASSERTION = re.compile(r'#\s+(\S+\.c:\d+:.*)')
# tools/vm/run.sh ends a boot at the report it was for: a hung task, or a
# whole lockdep report, warning or oops.
EVIDENCE_END = re.compile(r'killed: (?:hung task (\S+)|lockdep report|warning|oops)$')
EXCERPT = 20
# A test planned in several boots takes the worst of its results. "not
# run": its boot never started, so even on base it is no failure.
RANK = ('not run', 'pass', 'skip', 'missing', 'fail')


def read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def blocks(lines):
    """(set, lines) per PRT-BEGIN; a block a crash cut short ends the log.
    KTAP names its suites itself, so "PRT-BEGIN kunit.<suite>" is set kunit."""
    found, block = [], None
    for line in lines:
        if line.startswith('PRT-BEGIN '):
            block = (line.split()[1].split('.')[0], [])
            found.append(block)
        elif line.startswith(('PRT-END ', 'PRT-DONE')):
            block = None
        elif block:
            block[1].append(line)
    return found


def tap_verdict(m):
    return 'skip' if re.search(r'#\s*SKIP', m[3], re.I) else \
        'pass' if m[1] == 'ok' else 'fail'


def parse_tap(name, lines):
    """Leaf results of one set's TAP or nested KTAP, id -> verdict, the
    ids the kselftest harness timed out, and id -> the first failed
    expectation. A leaf's id is the set, the "# Subtest:" names around it
    and its own name."""
    results, timeouts, why = {}, set(), {}
    subtests, running, last = [], None, 0
    for line in lines:
        indent, text = len(line) - len(line.lstrip()), line.strip()
        if m := SUBTEST.fullmatch(text):
            subtests = [s for s in subtests if s[0] < indent] + [(indent, m[1])]
        elif m := RUN.match(text):
            running = m[1]
        elif (m := ASSERTION.fullmatch(text)) and running:
            why.setdefault(f'{name}.{running}', m[1])
        elif text.endswith('Test terminated by timeout') and running:
            timeouts.add(f'{name}.{running}')
        elif m := RESULT.fullmatch(text):
            subtests = [s for s in subtests if s[0] <= indent]
            if last <= indent:      # no deeper results before it: a leaf
                path = [name] + [s[1] for s in subtests] + [m[2]]
                results['.'.join(path)] = tap_verdict(m)
            last = indent
    return results, timeouts, why


def running_test(lines):
    """The test a log was running when it stopped: its set's block is open
    and the harness started it ("#  RUN") without a result."""
    found = None
    for line in lines:
        if line.startswith('PRT-BEGIN '):
            tset, found = line.split()[1].split('.')[0], None
        elif line.startswith(('PRT-END ', 'PRT-DONE')):
            tset, found = None, None
        elif m := RUN.match(line.strip()):
            found = f'{tset}.{m[1]}'
        elif found and RESULT.fullmatch(line.strip()):
            found = None
    return found


def splat_kind(line):
    return next((kind for kind, pattern in SPLATS if pattern.search(line)), None)


def scan_console(lines):
    """Kernel splats, each with the set that was running ("boot" before the
    first); lines within one excerpt belong to one report (BUG, then Oops)."""
    splats, during = [], 'boot'
    for i, line in enumerate(lines):
        if m := MARK.search(line):
            during = m[2] or 'shutdown'
            continue
        kind = splat_kind(line)
        if not kind:
            continue
        last = splats[-1] if splats else None
        if last and last['during'] == during and i < last['at'] + EXCERPT:
            last['kinds'] += [kind] if kind not in last['kinds'] else []
            continue
        excerpt = '\n'.join(s.rstrip() for s in lines[i:i + EXCERPT])
        splats.append({'during': during, 'kinds': [kind], 'line': line.strip(),
                       'at': i, 'excerpt': excerpt})
    return splats


def load_boot(rundir, name, hotplug, glob):
    path = os.path.join(rundir, name)
    log = read(os.path.join(path, 'results.log'))
    results, timeouts, why = {}, set(), {}
    for set_name, lines in blocks(log):
        r, t, w = parse_tap(set_name, lines)
        results.update(r)
        timeouts |= t
        why.update(w)
    vm = (read(os.path.join(path, 'vm-status')) or ['no vm-status'])[0]
    splats = scan_console(read(os.path.join(path, 'console.log')))
    # run-suite.sh boots a guest lost before any test once more, and keeps
    # the first one's console and status: what it printed counts too.
    lost = read(os.path.join(path, 'vm-status.lost'))
    splats += [dict(s, during='lost boot')
               for s in scan_console(read(os.path.join(path, 'console.lost.log')))]
    if EVIDENCE_END.match(vm):
        # Ended on the evidence, which the console holds: the test that
        # was running, if any, met it.
        if test := running_test(log):
            results.setdefault(test, 'fail')
            timeouts.discard(test)
    elif vm.startswith('killed'):
        # A guest that had to be killed hung: a splat of the whole boot.
        splats.append({'during': 'vm', 'kinds': ['timeout'], 'line': f'guest {vm}',
                       'at': None, 'excerpt': f'guest {vm}'})
    return {'name': name, 'hotplug': hotplug, 'glob': glob,
            'present': os.path.isdir(path), 'vm': vm, 'lost': lost[0] if lost else None,
            'results': results,
            'timeouts': sorted(timeouts), 'why': why, 'splats': splats,
            'insmod_failed': [line.split()[1] for line in log
                              if line.startswith('PRT-INSMOD-FAILED ')],
            'done': any(line.strip() == 'PRT-DONE' for line in log)}


def load_run(rundir):
    plan = [line.split() for line in read(os.path.join(rundir, 'boots'))]
    boots = [load_boot(rundir, *words[:3]) for words in plan if len(words) >= 3]
    return {'dir': rundir, 'planned': os.path.exists(os.path.join(rundir, 'boots')),
            'boots': boots}


def runs(boot, tid):
    return any(fnmatch.fnmatchcase(tid, g) for g in boot['glob'].split(','))


def boot_kinds(boot, test, result):
    """Failure kinds a boot shows for a test: all of a boot of its own,
    those while its set ran in a boot of the set."""
    kinds = set()
    if test.id in boot['timeouts'] or (result == 'missing' and boot['vm'].startswith('killed')):
        kinds.add('timeout')
    # No test ran in a lost boot: its splats fail the run, not a test.
    for s in (s for s in boot['splats'] if s['during'] != 'lost boot'):
        if boot['name'] == test.id or s['during'] == test.set:
            kinds.update(s['kinds'])
    return kinds


def outcome(run, test):
    """(result, failure kinds) of a declared test in a run: the worst result
    of every boot that ran it, the kinds of its own boot if it had one."""
    result, kinds = 'not run', set()
    boots = [b for b in run['boots'] if runs(b, test.id)]
    own = [b for b in boots if b['name'] == test.id]
    for boot in boots:
        r = boot['results'].get(test.id, 'missing') if boot['present'] else 'not run'
        result = max(result, r, key=RANK.index)
        if boot in own or not own:
            kinds |= boot_kinds(boot, test, r)
    return result, sorted(kinds)


def failed_in(run, tid):
    """' in <boots>': those in which test @tid did not pass, if any."""
    boots = [('its own boot' if b['name'] == tid else b['name']) +
             (f' ({b["why"][tid]})' if tid in b['why'] else '') for b in run['boots']
             if runs(b, tid) and b['results'].get(tid, 'missing') not in ('pass', 'skip')]
    return f' in {", ".join(boots)}' if boots else ''


def cell(result, kinds):
    return f'{result}:{",".join(kinds)}' if kinds and result in ('fail', 'missing') else result


def undeclared(run, tests):
    return {t for b in run['boots'] for t in b['results']} - set(tests)


def result_of(run, tid):
    """The result of an undeclared test, whichever boot ran it."""
    found = [b['results'][tid] for b in run['boots'] if tid in b['results']]
    return max(found, key=RANK.index) if found else 'missing'


def why_incomplete(boot):
    if not boot['present']:
        return 'no boot directory'
    if boot['insmod_failed']:
        return f'insmod failed: {", ".join(boot["insmod_failed"])}'
    if boot['vm'] != 'exit 0':
        return boot['vm']
    return None if boot['done'] else 'the guest did not finish its tests'


def incomplete(run):
    """What did not run to its end: "boot <name>: <why>" lines."""
    if not run['planned']:
        return [f'{run["dir"]}/boots is missing: nothing ran']
    found = [(b['name'], why_incomplete(b)) for b in run['boots']]
    return [f'boot {name}: {why}' for name, why in found if why]


def splats(run):
    return [(b['name'], s) for b in run['boots'] for s in b['splats']]


def print_table(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        print('  '.join([c.ljust(w) for c, w in zip(r, widths)] + [r[-1]]))


def retried(run):
    return [b for b in run['boots'] if b['lost']]


def print_problems(kernel, run):
    for what in incomplete(run):
        print(f'{kernel}: incomplete: {what}')
    for b in retried(run):
        print(f'{kernel}: booted again: boot {b["name"]}: {b["lost"]} '
              f'(console.lost.log)')
    for boot, s in splats(run):
        print(f'--- {kernel}: {",".join(s["kinds"])} in boot {boot}, during {s["during"]}:')
        print(s['excerpt'])
        print('---')


def clean_items(kernel, run):
    return [(f'{kernel}: no kernel splats', not splats(run)),
            (f'{kernel}: every boot complete', not incomplete(run))]


def planned(tests, rundir):
    """The tests a run's plan selected, all of them without a plan: a run of
    some sets only (run-suite.sh --sets) answers for those."""
    if not os.path.exists(os.path.join(rundir, 'plan')):
        return tests
    lines = read(os.path.join(rundir, 'plan'))
    globs = [g for line in lines for g in line.split()[2].split(',')]
    return {t: v for t, v in tests.items()
            if any(fnmatch.fnmatchcase(t, g) for g in globs)}


def cmd_test(tests, rundir):
    run = load_run(rundir)
    rows, items = [('test', 'result', 'verdict')], []
    for tid in sorted(tests):
        result, kinds = outcome(run, tests[tid])
        rows.append((tid, cell(result, kinds), 'ok' if result == 'pass' else 'FAIL'))
        items.append((tid if result == 'pass' else
                      f'{tid}: {cell(result, kinds)}{failed_in(run, tid)}', result == 'pass'))
    for tid in sorted(undeclared(run, tests)):
        rows.append((tid, result_of(run, tid), 'undeclared'))
        items.append((f'{tid}: undeclared', False))
    print_table(rows)
    print_problems('kernel', run)
    items += clean_items('kernel', run)
    return items, {'run': run}


def check_verdict(test, base, patched):
    (b, kinds), (p, _) = base, patched
    if p not in ('pass', 'skip'):
        return 'fails on patched'
    if 'skip' in (b, p):
        return 'skipped'
    if test.base == 'any':
        return 'ok'
    if b == 'not run':
        return 'not run on base'
    if b == 'missing':
        return 'no result on base'
    if test.base == 'pass':
        return 'ok' if b == 'pass' else 'regression: fails on base'
    if b == 'pass':
        return 'no teeth: passes on base'
    if test.kind and not set(test.kind.split('|')) & set(kinds):
        return f'wrong kind: expected {test.kind}, saw {",".join(kinds) or "none"}'
    return 'ok'


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


def check_rows(tests, base, patched):
    rows, data = [], []
    for tid in sorted(tests):
        test = tests[tid]
        b, p = outcome(base, test), outcome(patched, test)
        why = check_verdict(test, b, p)
        patch = test.patch.split('-')[0] if test.patch else '-'
        shown = f'{why} (smoke)' if test.smoke and why == 'ok' else why
        rows.append((tid, cell(*b), cell(*p), test.expect(), patch, shown))
        data.append({'test': tid, 'base': b[0], 'base_kinds': b[1], 'patched': p[0],
                     'expect_base': test.expect(), 'fixed_by': test.patch,
                     'smoke': test.smoke, 'verdict': why, 'ok': why == 'ok'})
    for tid in sorted(undeclared(base, tests) | undeclared(patched, tests)):
        b, p = result_of(base, tid), result_of(patched, tid)
        rows.append((tid, b, p, '-', '-', 'undeclared'))
        data.append({'test': tid, 'base': b, 'patched': p,
                     'verdict': 'undeclared', 'ok': False})
    return rows, data


def count(n, what):
    return f'{n or "no"} {what}{"s" * (n != 1)}'


def summary(kernel, run):
    bad = len(incomplete(run))
    return (f'{kernel}: {count(len(run["boots"]), "boot")}, '
            f'{count(len(splats(run)), "kernel splat")}, '
            f'{f"{bad} incomplete" if bad else "all complete"}'
            f'{f", {len(retried(run))} booted again" if retried(run) else ""}')


def cmd_check(tests, basedir, patcheddir, extra):
    base, patched = load_run(basedir), load_run(patcheddir)
    rows, data = check_rows(tests, base, patched)
    print_table([('test', 'base', 'patched', 'expect-base', 'fixed-by', 'verdict')] + rows)
    # A failure's name says why: a CI log may show only the tail.
    items = [(d['test'] if d['ok'] else
              f"{d['test']}: {d['verdict']} (base {d['base']}{failed_in(base, d['test'])}, "
              f"patched {d['patched']}{failed_in(patched, d['test'])})", d['ok'])
             for d in data]
    print()
    proofs = [d for d in data if d.get('fixed_by') and d['ok']]
    smoke = [d for d in data if d.get('smoke')]
    print(f'proof of a fix (fails on base, passes patched): {len(proofs)}; '
          f'smoke tests, no proof: {len(smoke)}')
    print(summary('base', base))
    print(summary('patched', patched))
    print_problems('patched', patched)
    items += clean_items('patched', patched)
    gates = load_items(extra)
    if gates:
        print()
    for name, ok in gates:
        print(f'{"ok  " if ok else "FAIL"} {name}')
    return items + gates, {'tests': data, 'base': base, 'patched': patched}


def cmd_caught(tests, rundir, must):
    """Caught: each MUST test reported a failure (a hung task it met counts,
    a skip or no result does not), or the splat appeared; with no MUST,
    anything failed. A module that did not load catches nothing."""
    run = load_run(rundir)
    outcomes = {t: outcome(run, tests[t]) for t in sorted(tests)}
    failed = [t for t, o in outcomes.items() if o[0] == 'fail']
    for t in failed:
        print(f'  fails: {t} ({cell(*outcomes[t])})')
    for boot, s in splats(run)[:4]:
        print(f'  splat: boot {boot} during {s["during"]}: {s["line"]}')
    for what in incomplete(run):
        print(f'  incomplete: {what}')
    if not must:
        return bool(failed or splats(run) or incomplete(run))
    if any(b['insmod_failed'] for b in run['boots']):
        print('  a test module did not load: nothing is caught')
        return False
    missed = [t for t in must if not (splats(run) if t == 'splat' else t in failed)]
    for t in missed:
        why = outcomes[t][0] if t in outcomes else 'not declared'
        print(f'  expected to catch it but did not: {t}'
              f'{"" if t == "splat" else f" ({why})"}')
    return not missed


def cmd_rerun(tests, rundir):
    """Ids of the tests of shared boots (named "shared@<mode>") that did not
    pass cleanly there: they failed or gave no result, or a splat met
    their set, or the boot was cut short while their set ran."""
    run = load_run(rundir)
    again = set()
    for boot in (b for b in run['boots'] if b['name'].startswith('shared@')):
        mine = [t for t in tests.values() if runs(boot, t.id)]
        dirty = {s['during'] for s in boot['splats']}
        for t in mine:
            r = boot['results'].get(t.id, 'missing')
            if r not in ('pass', 'skip') or t.set in dirty or 'vm' in dirty:
                again.add(t.id)
    for tid in sorted(again):
        print(tid)
    return True


def write_json(data, items):
    out = os.environ.get('REPORT_JSON')
    if out:
        data['items'] = [{'name': n, 'ok': ok} for n, ok in items]
        with open(out, 'w') as f:
            json.dump(data, f, indent=1)


def main(argv):
    need = {'test': 1, 'check': 2, 'caught': 1, 'rerun': 1}
    if len(argv) < 2 or argv[1] not in need or len(argv) - 2 < need[argv[1]]:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        tests = testsets.all_tests(testsets.load())
    except testsets.ExpectError as e:
        print(e, file=sys.stderr)
        return 2
    mode, args = argv[1], argv[2:]
    if mode == 'caught':
        return 0 if cmd_caught(tests, args[0], args[1:]) else 1
    if mode == 'rerun':
        return 0 if cmd_rerun(tests, args[0]) else 1
    if mode == 'test':
        items, data = cmd_test(planned(tests, args[0]), args[0])
    else:
        items, data = cmd_check(planned(tests, args[1]), args[0], args[1], args[2:])
    write_json(data, items)
    if elapsed := os.environ.get('PRT_ELAPSED'):
        print(f'{mode}: {elapsed}s in all')
    # Again at the end, where a CI log's tail shows it.
    for name, ok in items:
        if not ok:
            print(f'failed: {name}')
    npass = sum(ok for _, ok in items)
    print(f'{npass} passed, {len(items) - npass} failed')
    return 0 if npass == len(items) else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
