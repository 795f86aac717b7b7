#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Golden tests of tools/report.py and tools/testsets.py.

Each directory under tools/testdata/report/ is one case: a tiny tree of
.expect files and patches/, the run directories of captured VM logs, and
  cmd              the tool and its arguments, run in the case directory
                   with PRT_ROOT pointing there
  expected.txt     its exact stdout
  expected.stderr  its exact stderr, if it writes any
  expected.rc      its exit code

  python3 tools/report_test.py [unittest options]    compare
  python3 tools/report_test.py --update              rewrite the expected files

REPORT_PY=<path> tests another report.py: tools/report-selftest.sh shows
with it that these tests reject a deliberately broken one.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

TOOLS = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(TOOLS, 'testdata', 'report')
TOOL_PATHS = {
    'report.py': os.environ.get('REPORT_PY') or os.path.join(TOOLS, 'report.py'),
    'testsets.py': os.path.join(TOOLS, 'testsets.py'),
}


def read(path, default=None):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return default


def run_case(case, json_path):
    """(stdout, stderr, exit code) of the case's command."""
    tool, *args = read(os.path.join(case, 'cmd')).split()
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PRT_', 'REPORT_'))}
    env.update(PRT_ROOT=case, REPORT_JSON=json_path)
    p = subprocess.run([sys.executable, TOOL_PATHS[tool]] + args, cwd=case, env=env,
                       capture_output=True, text=True)
    return p.stdout, p.stderr, p.returncode


def cases():
    return sorted(d for d in os.listdir(DATA) if os.path.isfile(os.path.join(DATA, d, 'cmd')))


class Golden(unittest.TestCase):
    maxDiff = None

    def check(self, name):
        case = os.path.join(DATA, name)
        with tempfile.TemporaryDirectory() as tmp:
            json_path = os.path.join(tmp, 'report.json')
            out, err, rc = run_case(case, json_path)
            self.assertEqual(read(os.path.join(case, 'expected.txt')), out)
            self.assertEqual(read(os.path.join(case, 'expected.stderr'), ''), err)
            self.assertEqual(int(read(os.path.join(case, 'expected.rc'))), rc)
            self.check_json(json_path, out)

    def check_json(self, path, out):
        """The JSON items agree with the summary line."""
        m = re.search(r'^(\d+) passed, (\d+) failed\n\Z', out, re.M)
        if not m:
            self.assertFalse(os.path.exists(path), 'JSON written without a summary')
            return
        with open(path) as f:
            items = json.load(f)['items']
        self.assertEqual([int(m[1]), int(m[2])],
                         [sum(i['ok'] for i in items), sum(not i['ok'] for i in items)])


class SplatEnd(unittest.TestCase):
    """tools/vm/run.sh's splat_end() on consoles of base boots, in
    tools/testdata/run-vm: it names the first whole report of a kind it
    is asked for, and nothing for a report that is not whole yet."""

    def splat_end(self, console, ends, lines=None):
        with open(os.path.join(TOOLS, 'vm', 'run.sh')) as f:
            func = re.search(r'^splat_end\(\) \{\n.*?^\}\n', f.read(), re.M | re.S)[0]
        with open(os.path.join(TOOLS, 'testdata', 'run-vm', console)) as f:
            text = f.readlines()[:lines]
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, 'console.log'), 'w') as f:
                f.writelines(text)
            p = subprocess.run(['sh', '-c', f'{func}splat_end'], cwd=tmp, capture_output=True,
                               text=True, env={'PATH': os.environ['PATH'], 'ends': ends})
        return p.stdout.strip()

    def test_lockdep(self):
        self.assertEqual('lockdep report', self.splat_end('lockdep.console', 'lockdep'))
        self.assertEqual('lockdep report', self.splat_end('lockdep.console', 'warn,lockdep'))

    def test_lockdep_not_whole(self):
        # Cut before the </TASK> of its backtrace.
        self.assertEqual('', self.splat_end('lockdep.console', 'lockdep', lines=140))

    def test_lockdep_is_no_warning(self):
        self.assertEqual('', self.splat_end('lockdep.console', 'warn,bug'))

    def test_declared_kind_only(self):
        self.assertEqual('oops', self.splat_end('warn-then-oops.console', 'bug'))
        self.assertEqual('warning', self.splat_end('warn-then-oops.console', 'warn,bug'))
        self.assertEqual('', self.splat_end('warn-then-oops.console', 'lockdep'))

    def test_oops_not_whole(self):
        self.assertEqual('', self.splat_end('warn-then-oops.console', 'bug', lines=80))


def add_tests():
    for name in cases():
        method = f'test_{name.replace("-", "_")}'
        setattr(Golden, method, lambda self, name=name: self.check(name))


def update():
    for name in cases():
        case = os.path.join(DATA, name)
        with tempfile.TemporaryDirectory() as tmp:
            out, err, rc = run_case(case, os.path.join(tmp, 'report.json'))
        for fname, text in (('expected.txt', out), ('expected.stderr', err),
                            ('expected.rc', f'{rc}\n')):
            path = os.path.join(case, fname)
            if text or fname == 'expected.txt':
                with open(path, 'w') as f:
                    f.write(text)
            elif os.path.exists(path):
                os.remove(path)
        print(f'{name}: exit {rc}')


if __name__ == '__main__':
    if sys.argv[1:] == ['--update']:
        update()
    else:
        add_tests()
        unittest.main()
