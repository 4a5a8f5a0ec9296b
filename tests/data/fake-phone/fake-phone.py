#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# fake-phone.py — a scripted SIP "phone" on UDP loopback for the runner's tests.
# Default (broken): OPTIONS gets a proper 200; a NOTIFY gets, in turn, a 401
# with an unterminated challenge, bytes that are not SIP, and a 200 whose Via
# is not the request's. With --multi: a NOTIFY without credentials gets a 401
# with two challenges (MD5 and SHA-256); the retry gets 200 only when it
# answers the SHA-256 one, else 403. Prints its port, runs until killed.
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
n = 0


def header(msg, name):
    for line in msg.split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line
    return name + ": missing"


MULTI = "--multi" in sys.argv[1:]


def multi(msg, via, frm, to, cid, cseq):
    head = f"{via}\r\n{frm}\r\n{to};tag=m1\r\n{cid}\r\n{cseq}\r\n"
    auth = header(msg, "Authorization")
    if auth.endswith("missing"):
        return ("SIP/2.0 401 Unauthorized\r\n" + head +
                'WWW-Authenticate: Digest realm="multi", nonce="n1md5", qop="auth", algorithm=MD5\r\n'
                'WWW-Authenticate: Digest realm="multi", nonce="n2sha", qop="auth", algorithm=SHA-256\r\n'
                "Content-Length: 0\r\n\r\n")
    ok = "algorithm=SHA-256" in auth and 'nonce="n2sha"' in auth
    return ("SIP/2.0 200 OK\r\n" if ok else "SIP/2.0 403 Forbidden\r\n") + head + "Content-Length: 0\r\n\r\n"


while True:
    data, peer = s.recvfrom(65535)
    msg = data.decode("latin-1")
    via, frm, to, cid, cseq = (header(msg, h) for h in ("Via", "From", "To", "Call-ID", "CSeq"))
    if MULTI and msg.startswith("NOTIFY"):
        out = multi(msg, via, frm, to, cid, cseq)
    elif msg.startswith("OPTIONS"):
        out = f"SIP/2.0 200 OK\r\n{via}\r\n{frm}\r\n{to};tag=f1\r\n{cid}\r\n{cseq}\r\nContent-Length: 0\r\n\r\n"
    elif n % 3 == 0:
        out = (f"SIP/2.0 401 Unauthorized\r\n{via}\r\n{frm}\r\n{to};tag=f1\r\n{cid}\r\n{cseq}\r\n"
               'WWW-Authenticate: Digest realm="broken, nonce="\r\nContent-Length: 0\r\n\r\n')
        n += 1
    elif n % 3 == 1:
        out = "\x00\x01 this is not SIP \xff\r\n\r\n"
        n += 1
    else:
        out = (f"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKother\r\n{frm}\r\n"
               f"{to};tag=f1\r\n{cid}\r\n{cseq}\r\nContent-Length: 0\r\n\r\n")
        n += 1
    s.sendto(out.encode("latin-1"), peer)
    sys.stdout.flush()
