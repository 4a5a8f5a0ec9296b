# SPDX-License-Identifier: MIT
# robust.py — throw hostile traffic at a running `xscert emulate` on 127.0.0.1 and check
# that a well-behaved client keeps getting answers: RFC 4475 torture messages, the
# malformed messages beside this file, random and mutated datagrams, 64 KiB datagrams,
# hundreds of stalled half-message TCP connections. Exit 0 when every liveness check
# and the final digest exchanges (UDP and TCP) succeeded.
import argparse
import glob
import hashlib
import os
import random
import re
import socket
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--password", required=True)
p.add_argument("--data", required=True, help="tests/data/emulator")
p.add_argument("--rfc4475", default="", help="directory of RFC 4475 .dat files (optional)")
p.add_argument("--mutations", type=int, default=20000)
p.add_argument("--stalled", type=int, default=300)
p.add_argument("--seed", type=int, default=4475)
a = p.parse_args()
rng = random.Random(a.seed)
ADDR = ("127.0.0.1", a.port)
failures = []


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def request(method, branch, call_id, cseq, extra="", body="", ruri=None):
    ruri = ruri or "sip:159@127.0.0.1:%d" % a.port
    return ("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-%s\r\n"
            "From: <sip:controller@127.0.0.1>;tag=%s\r\nTo: <sip:159@127.0.0.1>\r\n"
            "Call-ID: %s\r\nCSeq: %d %s\r\nMax-Forwards: 70\r\n%sContent-Length: %d\r\n\r\n%s"
            % (method, ruri, branch, call_id, call_id, cseq, method, extra, len(body), body)).encode()


class Udp:
    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(2.0)

    def ask(self, msg, want_cseq):
        for _ in range(5):  # UDP: retransmit like a client would
            self.s.sendto(msg, ADDR)
            try:
                while True:
                    r = self.s.recv(70000)
                    if b"CSeq: %d " % want_cseq in r:
                        return r
            except socket.timeout:
                continue
        return None


class Tcp:
    def __init__(self):
        self.s = socket.create_connection(ADDR, timeout=5)
        self.buf = b""

    def ask(self, msg, want_cseq):
        self.s.sendall(msg)
        end = time.time() + 10
        while time.time() < end:
            if b"\r\n\r\n" in self.buf:
                head, _, rest = self.buf.partition(b"\r\n\r\n")
                self.buf = rest
                if b"CSeq: %d " % want_cseq in head:
                    return head
                continue
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buf += chunk
        return None


counter = [0]


def uniq():
    counter[0] += 1
    return "%d-%d" % (os.getpid(), counter[0])


def alive(what):
    u = Udp()
    r = u.ask(request("OPTIONS", "live" + uniq(), "live" + uniq(), 1), 1)
    if not r or not r.startswith(b"SIP/2.0 200"):
        failures.append("no answer to OPTIONS after " + what)
        print("FAIL: no answer to OPTIONS after", what, flush=True)


def digest_exchange(conn, what):
    cid = "digest" + uniq()
    body = "http://127.0.0.1:9/xscert/robust/" + cid
    ruri = "sip:159@127.0.0.1:%d" % a.port
    r = conn.ask(request("NOTIFY", "d1" + cid, cid, 1, "Event: XML-Service\r\n", body), 1)
    m = re.search(rb'nonce="([^"]+)"', r or b"")
    realm = re.search(rb'realm="([^"]+)"', r or b"")
    if not r or not r.startswith(b"SIP/2.0 401") or not m or not realm:
        failures.append("no 401 challenge " + what)
        return
    nonce, realm = m.group(1).decode(), realm.group(1).decode()
    ha1 = md5("159:%s:%s" % (realm, a.password))
    ha2 = md5("NOTIFY:" + ruri)
    resp = md5("%s:%s:00000001:c0ffee:auth:%s" % (ha1, nonce, ha2))
    auth = ('Authorization: Digest username="159", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="c0ffee"\r\n'
            % (realm, nonce, ruri, resp))
    r = conn.ask(request("NOTIFY", "d2" + cid, cid, 2, "Event: XML-Service\r\n" + auth, body), 2)
    if not r or not r.startswith(b"SIP/2.0 200"):
        failures.append("authenticated NOTIFY not accepted " + what)
        print("FAIL: authenticated NOTIFY not accepted", what, r[:80] if r else None, flush=True)


def mutate(seed):
    b = bytearray(seed)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(6)
        if not b:
            b = bytearray(rng.randbytes(rng.randint(1, 64)))
        i = rng.randrange(len(b))
        if op == 0:
            b[i] = rng.randrange(256)
        elif op == 1:
            b[i:i] = rng.randbytes(rng.randint(1, 16))
        elif op == 2:
            del b[i:i + rng.randint(1, 32)]
        elif op == 3:
            j = rng.randrange(len(b))
            b[i:i] = b[j:j + rng.randint(1, 200)]
        elif op == 4:
            b[i:i] = rng.choice([b"\r\n", b"\n", b":", b";", b",", b'"', b"<", b">", b"\x00",
                                 b"Content-Length: 99999\r\n", b"\r\n\r\n", b"Digest ",
                                 b"nonce=", b"Event: XML-Service\r\n", b"%00", b"\\"])
        else:
            del b[i:]
    return bytes(b[:65507])


seeds = []
if a.rfc4475 and os.path.isdir(a.rfc4475):
    for f in sorted(glob.glob(os.path.join(a.rfc4475, "*.dat"))):
        seeds.append(("rfc4475/" + os.path.basename(f), open(f, "rb").read()))
own = [(os.path.basename(f), open(f, "rb").read()) for f in sorted(glob.glob(os.path.join(a.data, "*.sip")))]
valid = request("NOTIFY", "seed", "seed", 1, "Event: XML-Service\r\n", "http://127.0.0.1/x")
print("seeds: %d RFC 4475, %d own" % (len(seeds), len(own)), flush=True)

alive("start")
digest_exchange(Udp(), "at start (udp)")

# 1. every torture and malformed message, over UDP and over TCP
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for name, data in seeds + own:
    if data:
        u.sendto(data[:65507], ADDR)
    try:
        t = socket.create_connection(ADDR, timeout=2)
        t.sendall(data)
        t.close()
    except OSError as e:
        failures.append("TCP connect failed for %s: %s" % (name, e))
alive("torture and malformed messages")

# 2. 64 KiB datagrams: random, a huge header, a huge body; a too-large TCP message
u.sendto(rng.randbytes(65507), ADDR)
big_hdr = request("NOTIFY", "big1", "big1", 1, "X-Pad: " + "a" * 65200 + "\r\nEvent: XML-Service\r\n")
u.sendto(big_hdr[:65507], ADDR)
big_body = request("NOTIFY", "big2", "big2", 1, "Event: XML-Service\r\n", "http://127.0.0.1/" + "b" * 65000)
u.sendto(big_body[:65507], ADDR)
try:
    t = socket.create_connection(ADDR, timeout=2)
    t.sendall(request("NOTIFY", "big3", "big3", 1, "Event: XML-Service\r\n", "c" * 70000))
    t.close()
except OSError:
    pass
alive("64 KiB datagrams")

# 3. random and mutated datagrams, with a liveness check every 2000
pool = [d for _, d in seeds + own if d] + [valid]
for i in range(a.mutations):
    if i % 10 == 0:
        msg = rng.randbytes(rng.randint(0, 2000))
    else:
        msg = mutate(rng.choice(pool))
    try:
        u.sendto(msg, ADDR)
    except OSError:
        pass
    if i % 2000 == 1999:
        alive("%d mutated datagrams" % (i + 1))
print("sent %d random/mutated datagrams" % a.mutations, flush=True)

# 4. stalled TCP connections holding half a message, while a client is served
stalled = []
for i in range(a.stalled):
    try:
        t = socket.create_connection(ADDR, timeout=5)
        half = request("NOTIFY", "stall%d" % i, "stall%d" % i, 1, "Event: XML-Service\r\n", "x" * 100)
        t.sendall(half[: rng.randint(1, len(half) - 1)])
        stalled.append(t)
    except OSError as e:
        failures.append("stalled connection %d: %s" % (i, e))
        break
print("holding %d stalled TCP connections" % len(stalled), flush=True)
alive("stalled connections (udp)")
digest_exchange(Tcp(), "with stalled connections (tcp)")
digest_exchange(Udp(), "with stalled connections (udp)")
for t in stalled:
    t.close()

alive("end")
digest_exchange(Tcp(), "at end (tcp)")
if failures:
    print("%d failures:" % len(failures))
    for f in failures[:20]:
        print("  " + f)
    sys.exit(1)
print("robustness: all liveness checks and digest exchanges passed")
