#!/usr/bin/python3
"""Media peer for the end-to-end SRTP tests: both ends of one call's audio,
protected (or not) by libsrtp through pylibsrtp, so the SBC's SRTP is checked
against an independent implementation.

Protocol with the Rust test (one JSON object per line):
1. On start it binds an RTP/RTCP port pair for the caller (on --caller-ip) and
   one for the callee (on --callee-ip) and prints
   {"caller": {"rtp": P, "rtcp": P+1}, "callee": {"rtp": Q, "rtcp": Q+1}}.
2. It reads one plan line from stdin:
   {"packets": N, "rtcp": M, "interval_ms": T,
    "caller": {"remote_rtp": "ip:port", "remote_rtcp": "ip:port",
               "tx": KEY|null, "rx": KEY|null},
    "callee": {...}}
   where KEY = {"suite": "AES_CM_128_HMAC_SHA1_80", "key": "<base64 key||salt>"}.
   "tx" protects what that side sends (its own key, from its own SDP), "rx"
   unprotects what it receives (the SBC's key for that leg, from the SBC's SDP);
   null means plain RTP/RTCP.
3. It sends N RTP and M RTCP packets each way, one every T ms, waits for
   stragglers, and prints a summary keyed by direction ("caller_to_callee",
   "callee_to_caller"): sent, received (distinct packets with the right
   payload), duplicates, auth_failures, replay_failures, other_errors,
   mismatches, and the same for RTCP under "rtcp_*". Then it exits 0.

Every payload is recognisable: a direction marker, the packet's index, and
bytes derived from both, so a packet that arrives mangled, from the wrong
direction or undecrypted counts as a mismatch rather than as received.
"""

import argparse
import base64
import json
import select
import socket
import struct
import sys
import time

import pylibsrtp

PROFILES = {
    "AES_CM_128_HMAC_SHA1_80": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    "AES_CM_128_HMAC_SHA1_32": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
    "AEAD_AES_128_GCM": pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
    "AEAD_AES_256_GCM": pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
}

PAYLOAD_LEN = 160  # 20 ms of G.711
MARKERS = {"caller_to_callee": 0xA1, "callee_to_caller": 0xB2}
SSRCS = {"caller_to_callee": 0x1A2B3C4D, "callee_to_caller": 0x5E6F7081}
STRAGGLER_WAIT = 1.0  # seconds to wait for the last packets after sending


def bind_pair(ip):
    """An even RTP port and the next one for RTCP, both bound on `ip`."""
    for _ in range(200):
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind((ip, 0))
        port = rtp.getsockname()[1]
        if port % 2 == 0 and port < 65535:
            rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                rtcp.bind((ip, port + 1))
                return rtp, rtcp
            except OSError:
                rtcp.close()
        rtp.close()
    raise RuntimeError("no free RTP/RTCP port pair on %s" % ip)


def session(key, outbound):
    if key is None:
        return None
    profile = PROFILES[key["suite"]]
    ssrc_type = (
        pylibsrtp.Policy.SSRC_ANY_OUTBOUND if outbound else pylibsrtp.Policy.SSRC_ANY_INBOUND
    )
    policy = pylibsrtp.Policy(
        key=base64.b64decode(key["key"] + "=" * (-len(key["key"]) % 4)),
        ssrc_type=ssrc_type,
        srtp_profile=profile,
    )
    return pylibsrtp.Session(policy=policy)


def addr(text):
    host, port = text.rsplit(":", 1)
    return host.strip("[]"), int(port)


def payload(direction, index):
    marker = MARKERS[direction]
    head = bytes([marker, (index >> 8) & 0xFF, index & 0xFF])
    body = bytes((index * 31 + k * 7 + marker) & 0xFF for k in range(PAYLOAD_LEN - 3))
    return head + body


def rtp_packet(direction, index):
    header = struct.pack("!BBHII", 0x80, 0, index & 0xFFFF, index * 160, SSRCS[direction])
    return header + payload(direction, index)


def rtcp_packet(direction, index):
    # A sender report whose NTP timestamp carries the direction and index.
    marker = MARKERS[direction]
    ntp_msw = 0xC0DE0000 | (marker << 8) | (index & 0xFF)
    return struct.pack(
        "!BBHIIIIII", 0x80, 200, 6, SSRCS[direction], ntp_msw, 0, index * 160, index, 0
    )


class Direction:
    """Counters of one direction; the receiving side checks what arrives."""

    def __init__(self, name, packets):
        self.name = name
        self.packets = packets
        self.stats = {
            "sent": 0,
            "received": 0,
            "duplicates": 0,
            "auth_failures": 0,
            "replay_failures": 0,
            "other_errors": 0,
            "mismatches": 0,
            "rtcp_sent": 0,
            "rtcp_received": 0,
            "rtcp_auth_failures": 0,
            "rtcp_other_errors": 0,
            "rtcp_mismatches": 0,
            "first_error": None,
        }
        self.seen = set()

    def error(self, prefix, err):
        # pylibsrtp raises Error(message) with libsrtp's text for the status.
        message = str(err)
        if self.stats["first_error"] is None:
            self.stats["first_error"] = message
        if "authentication failure" in message:
            self.stats[prefix + "auth_failures"] += 1
        elif prefix == "" and "replay check failed" in message:
            self.stats["replay_failures"] += 1
        else:
            self.stats[prefix + "other_errors"] += 1

    def check_rtp(self, packet):
        if len(packet) != 12 + PAYLOAD_LEN or packet[0] >> 6 != 2:
            self.stats["mismatches"] += 1
            return
        body = packet[12:]
        index = (body[1] << 8) | body[2]
        if index >= self.packets or body != payload(self.name, index):
            self.stats["mismatches"] += 1
        elif index in self.seen:
            self.stats["duplicates"] += 1
        else:
            self.seen.add(index)
            self.stats["received"] += 1

    def check_rtcp(self, packet):
        ok = len(packet) == 28 and packet[0] >> 6 == 2 and packet[1] == 200
        if ok:
            ntp_msw = struct.unpack("!I", packet[8:12])[0]
            ok = ntp_msw >> 16 == 0xC0DE and (ntp_msw >> 8) & 0xFF == MARKERS[self.name]
        self.stats["rtcp_received" if ok else "rtcp_mismatches"] += 1


class Side:
    """One end of the call: its sockets, its remote (the SBC) and its keys."""

    def __init__(self, rtp, rtcp):
        self.rtp = rtp
        self.rtcp = rtcp
        self.remote_rtp = None
        self.remote_rtcp = None
        self.tx = None
        self.rx = None
        self.inbound = None  # the Direction this side receives

    def configure(self, plan):
        self.remote_rtp = addr(plan["remote_rtp"])
        self.remote_rtcp = addr(plan["remote_rtcp"])
        self.tx = session(plan.get("tx"), outbound=True)
        self.rx = session(plan.get("rx"), outbound=False)

    def send_rtp(self, direction, index):
        packet = rtp_packet(direction.name, index)
        if self.tx is not None:
            packet = self.tx.protect(packet)
        self.rtp.sendto(packet, self.remote_rtp)
        direction.stats["sent"] += 1

    def send_rtcp(self, direction, index):
        packet = rtcp_packet(direction.name, index)
        if self.tx is not None:
            packet = self.tx.protect_rtcp(packet)
        self.rtcp.sendto(packet, self.remote_rtcp)
        direction.stats["rtcp_sent"] += 1

    def receive(self, sock):
        packet = sock.recv(2048)
        rtcp = sock is self.rtcp
        if self.rx is not None:
            try:
                packet = self.rx.unprotect_rtcp(packet) if rtcp else self.rx.unprotect(packet)
            except pylibsrtp.Error as err:
                self.inbound.error("rtcp_" if rtcp else "", err)
                return
        if rtcp:
            self.inbound.check_rtcp(packet)
        else:
            self.inbound.check_rtp(packet)


def drain(sides, until):
    """Receives on every socket until the monotonic time `until`."""
    socks = {}
    for side in sides:
        socks[side.rtp] = side
        socks[side.rtcp] = side
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return
        ready, _, _ = select.select(list(socks), [], [], left)
        for sock in ready:
            socks[sock].receive(sock)


def run(plan, caller, callee):
    packets = int(plan["packets"])
    rtcp_count = int(plan["rtcp"])
    interval = float(plan["interval_ms"]) / 1000.0
    forward = Direction("caller_to_callee", packets)
    backward = Direction("callee_to_caller", packets)
    caller.configure(plan["caller"])
    callee.configure(plan["callee"])
    callee.inbound = forward
    caller.inbound = backward
    # RTCP goes out spread over the call, starting once RTP has flowed a little.
    rtcp_every = max(1, packets // max(1, rtcp_count))
    rtcp_sent = 0
    start = time.monotonic()
    for index in range(packets):
        caller.send_rtp(forward, index)
        callee.send_rtp(backward, index)
        if rtcp_sent < rtcp_count and index % rtcp_every == rtcp_every // 2:
            caller.send_rtcp(forward, rtcp_sent)
            callee.send_rtcp(backward, rtcp_sent)
            rtcp_sent += 1
        drain([caller, callee], start + (index + 1) * interval)
    deadline = time.monotonic() + STRAGGLER_WAIT
    while time.monotonic() < deadline:
        done = all(
            d.stats["received"] + d.stats["mismatches"] >= packets
            and d.stats["rtcp_received"] + d.stats["rtcp_mismatches"] >= rtcp_sent
            for d in (forward, backward)
        )
        if done:
            break
        drain([caller, callee], min(deadline, time.monotonic() + 0.05))
    return {forward.name: forward.stats, backward.name: backward.stats}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--caller-ip", default="127.0.0.1")
    parser.add_argument("--callee-ip", default="127.0.0.1")
    args = parser.parse_args()
    caller = Side(*bind_pair(args.caller_ip))
    callee = Side(*bind_pair(args.callee_ip))
    ports = {
        "caller": {"rtp": caller.rtp.getsockname()[1], "rtcp": caller.rtcp.getsockname()[1]},
        "callee": {"rtp": callee.rtp.getsockname()[1], "rtcp": callee.rtcp.getsockname()[1]},
    }
    print(json.dumps(ports), flush=True)
    line = sys.stdin.readline()
    if not line:
        return 0  # the test gave up before the call was set up
    summary = run(json.loads(line), caller, callee)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
