#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""QMP client of the test VM, and the broker of the guest's host channel.

  qmp.py cmd <qmp socket> <command> [<JSON arguments>]
      Run one QMP command and print its reply.
  qmp.py broker <qmp socket> <channel socket> <topology>
      Serve the guest's requests on the channel (its /dev/ttyS2) until QEMU
      closes it. One request a line, one answer a line:
        ping            -> ok
        device_del <id> -> ok once QEMU reported DEVICE_DELETED for <id>
        device_add <id> -> ok once QEMU accepted <id> and its children, with
                           the properties the topology file gives them
      or "error <why>". Each request and its time go to stderr.

Standard library only: it runs on the bare CI host.
"""
import json
import socket
import sys
import time

# Under TCG, pciehp's 5 s attention-button delay before it powers the slot
# off, plus a slow guest: no DEVICE_DELETED within this is a failure.
DELETE_TIMEOUT = 60
# QEMU creates its sockets before the guest runs; the broker may start first.
CONNECT_TIMEOUT = 30


class QMPError(Exception):
    pass


def connect(path, timeout=CONNECT_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class Lines:
    """Lines of a stream socket, with a deadline per read."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    def read(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while b'\n' not in self.buf:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                raise TimeoutError from None
            if not data:
                raise EOFError
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return line.decode(errors='replace').rstrip('\r')

    def write(self, line):
        self.sock.settimeout(None)
        self.sock.sendall(line.encode() + b'\n')


class QMP:
    def __init__(self, path, timeout=10):
        self.io = Lines(connect(path))
        self.events = []
        if 'QMP' not in json.loads(self.io.read(timeout)):
            raise QMPError('no QMP greeting')
        self.cmd('qmp_capabilities')

    def close(self):
        self.io.sock.close()

    def cmd(self, name, args=None, timeout=30):
        msg = {'execute': name}
        if args:
            msg['arguments'] = args
        self.io.write(json.dumps(msg))
        while True:
            reply = json.loads(self.io.read(timeout))
            if 'event' in reply:
                self.events.append(reply)
            elif 'error' in reply:
                raise QMPError(reply['error']['desc'])
            elif 'return' in reply:
                return reply['return']

    def wait_event(self, name, data, timeout):
        """The first event @name whose data has @data's items, kept or new."""
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.events:
                if ev['event'] == name and \
                   data.items() <= ev.get('data', {}).items():
                    self.events.remove(ev)
                    return ev
            try:
                line = self.io.read(max(deadline - time.monotonic(), 0))
            except TimeoutError:
                raise QMPError(f'no {name} {data} in {timeout}s') from None
            self.events.append(json.loads(line))


def read_topology(path):
    """The -device options of the topology file: [(id, {prop: value})]."""
    devices = []
    with open(path) as f:
        for line in f:
            opt, _, arg = line.strip().partition(' ')
            if opt != '-device':
                continue
            items = arg.split(',')
            props = {'driver': items[0]}
            props.update(i.split('=', 1) for i in items[1:])
            devices.append((props['id'], props))
    return devices


class Broker:
    def __init__(self, qmp_path, topology):
        self.qmp_path = qmp_path
        self.devices = read_topology(topology)

    # A QMP connection per request leaves the socket free for a person or
    # another tool between requests (QEMU serves one client at a time).
    def device_del(self, qmp, dev):
        qmp.cmd('device_del', {'id': dev})
        qmp.wait_event('DEVICE_DELETED', {'device': dev}, DELETE_TIMEOUT)

    def device_add(self, qmp, dev):
        props = dict(self.devices).get(dev)
        if props is None:
            raise QMPError(f'{dev} is not in the topology')
        # QEMU 7.2 has no DEVICE_ADDED event: the device is realized and
        # plugged when device_add returns, so that return is "done". The
        # guest then sees it arrive through its hot-plug driver, later.
        qmp.cmd('device_add', props)
        present = {p['name'] for p in
                   qmp.cmd('qom-list', {'path': '/machine/peripheral'})}
        # Children went with their parent unless QEMU moved them elsewhere
        # (an nvme-ns of an nvme-subsys lives on in the subsystem and is
        # attached again to the new controller): re-add only what is gone.
        # A parent's bus is named by its id, or "<id>.<n>" by default.
        for child, cprops in self.devices:
            bus = cprops.get('bus', '')
            if (bus == dev or bus.startswith(dev + '.')) and \
               child not in present:
                self.device_add(qmp, child)

    def handle(self, line):
        words = line.split()
        if words == ['ping']:
            return 'ok'
        if len(words) != 2 or words[0] not in ('device_del', 'device_add'):
            return 'error unknown request'
        qmp = None
        try:
            qmp = QMP(self.qmp_path)
            getattr(self, words[0])(qmp, words[1])
            return 'ok'
        # Whatever went wrong, the guest gets an answer and the broker
        # serves on.
        except Exception as e:
            return f'error {type(e).__name__}: {e}'.replace('\n', ' ')
        finally:
            if qmp:
                qmp.close()

    def serve(self, chan_path):
        chan = Lines(connect(chan_path))
        start = time.monotonic()
        while True:
            try:
                line = chan.read()
            except EOFError:
                return
            t = time.monotonic()
            reply = self.handle(line.strip())
            chan.write(reply)
            print(f'{t - start:8.2f}s {line.strip()!r} -> {reply!r} '
                  f'({time.monotonic() - t:.2f}s)', file=sys.stderr, flush=True)


def main(argv):
    if len(argv) in (3, 4) and argv[0] == 'cmd':
        qmp = QMP(argv[1])
        args = json.loads(argv[3]) if len(argv) == 4 else {}
        print(json.dumps(qmp.cmd(argv[2], args), indent=1))
        return 0
    if len(argv) == 4 and argv[0] == 'broker':
        try:
            Broker(argv[1], argv[3]).serve(argv[2])
        except OSError as e:
            print(f'broker: {e}', file=sys.stderr)
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
