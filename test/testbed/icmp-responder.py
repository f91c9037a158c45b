#!/usr/bin/env python3
"""ICMP echo responder with per-link delay and jitter (stdlib only).

The kernel here has no netem qdisc, so the testbed sets net.ipv4.icmp_echo_ignore_all=1 in the
core namespace and this process answers echo requests instead. It opens one raw ICMP socket
per link interface (SO_BINDTODEVICE), so it knows the ingress link of every request and sends
the reply back out of that same link.

Usage: icmp-responder.py CONFIG PIDFILE
CONFIG is JSON: {"generation": 3, "interfaces": {"<ifname>": {"delayMs": 80, "jitterMs": 10}}}.
The set of interfaces is read once; delays are re-read on SIGHUP, after which the loaded
generation is written to CONFIG.loaded (so the testbed knows the new delays apply). PIDFILE
is written once every socket is bound, so its appearance means "ready".
"""
import heapq
import json
import os
import random
import selectors
import signal
import socket
import struct
import sys
import time

ICMP_ECHO_REPLY = 0
ICMP_ECHO_REQUEST = 8
IP_PKTINFO = getattr(socket, 'IP_PKTINFO', 8)  # Linux value; older Pythons lack the constant


def load_delays(path):
    """{ifname: (delay ms, jitter ms)}; acknowledges the generation it loaded."""
    with open(path, encoding='utf-8') as f:
        config = json.load(f)
    with open(path + '.loaded', 'w', encoding='utf-8') as f:
        f.write(str(config['generation']))
    return {name: (float(d['delayMs']), float(d['jitterMs'])) for name, d in config['interfaces'].items()}


def checksum(data):
    """RFC 1071 internet checksum."""
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_reply(packet):
    """(reply ICMP message, request source, request destination), or None if not an echo request."""
    header_len = (packet[0] & 0x0F) * 4
    icmp = packet[header_len:]
    if len(icmp) < 8 or icmp[0] != ICMP_ECHO_REQUEST or checksum(icmp) != 0:
        return None
    # Same code, identifier, sequence number and payload; only type and checksum change.
    body = bytes([ICMP_ECHO_REPLY, icmp[1], 0, 0]) + icmp[4:]
    reply = body[:2] + struct.pack('!H', checksum(body)) + body[4:]
    return reply, socket.inet_ntoa(packet[12:16]), packet[16:20]


def send_reply(sock, reply, destination, source_bytes):
    # IP_PKTINFO's ipi_spec_dst makes the reply come from the address that was pinged
    # (a target on the dummy interface), not from the link interface's own address.
    pktinfo = struct.pack('=i4s4s', 0, source_bytes, b'\0\0\0\0')
    try:
        sock.sendmsg([reply], [(socket.IPPROTO_IP, IP_PKTINFO, pktinfo)], 0, (destination, 0))
    except OSError as err:  # link went down meanwhile: the reply is lost, like on a real link
        print(f'send to {destination} failed: {err}', file=sys.stderr, flush=True)


def main(config_path, pid_path):
    delays = load_delays(config_path)

    def reload(_signum, _frame):
        nonlocal delays
        delays = load_delays(config_path)
        print(f'reloaded {delays}', flush=True)

    signal.signal(signal.SIGHUP, reload)
    signal.signal(signal.SIGTERM, lambda _s, _f: sys.exit(0))

    selector = selectors.DefaultSelector()
    for name in delays:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, name.encode())
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, name)
    with open(pid_path, 'w', encoding='utf-8') as f:
        f.write(f'{os.getpid()}\n')
    print(f'ready on {", ".join(delays)}', flush=True)

    pending = []  # heap of (due time, tie-breaker, socket, reply, destination, source)
    sequence = 0
    while True:
        timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else None
        for key, _ in selector.select(timeout):
            while True:
                try:
                    packet = key.fileobj.recv(65535)
                except BlockingIOError:
                    break
                parsed = echo_reply(packet)
                if parsed is None:
                    continue
                delay_ms, jitter_ms = delays.get(key.data, (0.0, 0.0))
                wait_ms = max(0.0, delay_ms + random.uniform(-jitter_ms, jitter_ms))
                if wait_ms == 0:
                    send_reply(key.fileobj, *parsed)
                else:
                    sequence += 1
                    heapq.heappush(pending, (time.monotonic() + wait_ms / 1000, sequence, key.fileobj, *parsed))
        while pending and pending[0][0] <= time.monotonic():
            _, _, sock, *reply = heapq.heappop(pending)
            send_reply(sock, *reply)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(f'usage: {sys.argv[0]} CONFIG PIDFILE')
    main(sys.argv[1], sys.argv[2])
