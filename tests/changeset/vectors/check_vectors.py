#!/usr/bin/env python3
"""Rebuild the golden changesets from docs/format/changeset.md alone, with
Python's standard library, and read them back with a strict reader written
from the same page: an independent check that the format document describes
every byte and rule, and that the C encoder follows it.

Not run by ctest (the project does not depend on Python); run it by hand
after changing the format or the encoder, from the repository root:
    python3 tests/changeset/vectors/check_vectors.py
It exits 0 when seq1..3.hex and seq1..3.blake2b are exactly what the page
describes, when the reader accepts each file and gives back the fields they
were built from, and when the reader refuses the damaged copies below.
"""
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FORMAT = 2
CODE_CHARS = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
NAME_CHARS = set(b"abcdefghijklmnopqrstuvwxyz0123456789_")
MAX_BYTES = 16 << 20
MAX_VALUE = 4 << 20
MAX_NAME = 256
MAX_OPS = 1000000
MAX_CATALOGUE = 1024
MAX_DEPENDS = 4096
MAX_PARENTS = 64


# ---- writing ------------------------------------------------------------------

def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def text(s):
    b = s.encode("utf-8")
    return u32(len(b)) + b


def opt(s):
    return b"\x00" if s is None else b"\x01" + text(s)


def by_bytes(items):
    return sorted(set(items), key=lambda c: c.encode("utf-8"))


def encode(site, device, seq, prev, schema, catalogue, depends, ops):
    """depends: {device: seq}; ops: (seq, clock, person, entity, id, kind, field, old, new, parents)
    with parents a list of (device, clock) pairs."""
    catalogue = by_bytes(catalogue)
    deps = by_bytes("%s:%d" % (d, s) for d, s in depends.items())
    out = b"WKCS" + u32(FORMAT) + text(site) + text(device) + u64(seq) + prev + u32(schema)
    out += u32(len(catalogue)) + b"".join(text(c) for c in catalogue)
    out += u32(len(deps)) + b"".join(text(d) for d in deps)
    out += u64(ops[0][1]) + u64(ops[-1][1]) + u32(len(ops))
    for (oseq, clock, person, entity, eid, kind, field, old, new, parents) in ops:
        plist = ",".join(by_bytes("%s@%d" % p for p in parents)) if parents else None
        out += u64(oseq) + u64(clock) + bytes([1 if kind == "create" else 2])
        out += text(person) + text(entity) + text(eid) + opt(field) + opt(old) + opt(new) + opt(plist)
    return out


def changeset_hash(b):
    return hashlib.blake2b(b"wicket.changeset.v1\x00" + b, digest_size=32).digest()


# ---- reading ------------------------------------------------------------------

class Refused(Exception):
    def __init__(self, code, why):
        Exception.__init__(self, "%s: %s" % (code, why))
        self.code = code


class Reader:
    def __init__(self, b):
        self.b, self.off = b, 0

    def take(self, n, what):
        if len(self.b) - self.off < n:
            raise Refused("EINVALID", "truncated: %s at byte %d" % (what, self.off))
        v = self.b[self.off:self.off + n]
        self.off += n
        return v

    def u8(self, what):
        return self.take(1, what)[0]

    def u32(self, what):
        return struct.unpack(">I", self.take(4, what))[0]

    def u64(self, what):
        return struct.unpack(">Q", self.take(8, what))[0]

    def below63(self, what):
        v = self.u64(what)
        if v >= 1 << 63:
            raise Refused("EINVALID", "%s out of range" % what)
        return v

    def count(self, cap, smallest, what):
        n = self.u32(what)
        if n > cap:
            raise Refused("ELIMIT", "%d %s" % (n, what))
        if n * smallest > len(self.b) - self.off:
            raise Refused("EINVALID", "truncated: %d %s cannot fit" % (n, what))
        return n

    def str(self, cls, what):
        n = self.u32(what)
        cap = {"value": MAX_VALUE, "name": MAX_NAME, "text": MAX_NAME}.get(cls)
        if cap is not None and n > cap:
            raise Refused("ELIMIT", "%s is %d bytes" % (what, n))
        raw = self.take(n, what)
        check_class(cls, raw, what)
        return raw.decode("utf-8")

    def opt(self, cls, what):
        tag = self.u8(what)
        if tag == 0:
            return None
        if tag != 1:
            raise Refused("EINVALID", "%s: presence tag %d" % (what, tag))
        return self.str(cls, what)


def utf8_ok(raw):
    # Python's decoder refuses overlong forms, surrogates and anything above U+10FFFF.
    try:
        raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in raw


def code_ok(raw):
    return 2 <= len(raw) <= 16 and all(c in CODE_CHARS for c in raw)


def decimal_ok(raw, zero_ok):
    # 1 to 19 digits, no leading zero, below 2^63; 0 only where allowed.
    if not 1 <= len(raw) <= 19 or not all(0x30 <= c <= 0x39 for c in raw):
        return False
    if len(raw) > 1 and raw[0] == 0x30:
        return False
    v = int(raw)
    return v < 1 << 63 and (zero_ok or v > 0)


def coded_number_ok(raw, sep, zero_ok):
    code, found, number = raw.partition(sep)
    return bool(found) and code_ok(code) and decimal_ok(number, zero_ok)


def check_class(cls, raw, what):
    bad = None
    if cls == "code":
        bad = not code_ok(raw)
    elif cls == "name":
        bad = not (1 <= len(raw) <= MAX_NAME and all(c in NAME_CHARS for c in raw))
    elif cls == "text":
        bad = not (1 <= len(raw) <= MAX_NAME and utf8_ok(raw))
    elif cls == "value":
        bad = not (len(raw) <= MAX_VALUE and utf8_ok(raw))
    elif cls == "depend":
        bad = not coded_number_ok(raw, b":", False)
    elif cls == "parents":
        entries = raw.split(b",")
        bad = (not raw or len(entries) > MAX_PARENTS or
               not all(coded_number_ok(e, b"@", True) for e in entries) or
               any(a >= b for a, b in zip(entries, entries[1:])))
    if bad:
        raise Refused("EINVALID", "%s is not a valid %s" % (what, cls))


def decode(b):
    if len(b) > MAX_BYTES:
        raise Refused("ELIMIT", "too big")
    r = Reader(b)
    if r.take(4, "magic") != b"WKCS":
        raise Refused("EINVALID", "not a changeset")
    fmt = r.u32("format")
    if fmt > FORMAT or fmt == 1:
        raise Refused("EVERSION", "format %d" % fmt)
    if fmt != FORMAT:
        raise Refused("EINVALID", "format %d" % fmt)
    cs = {"site": r.str("code", "site"), "device": r.str("code", "device"), "seq": r.u64("sequence"),
          "prev": r.take(32, "previous hash"), "schema": r.u32("schema version")}
    n = r.count(MAX_CATALOGUE, 5, "catalogue ids")
    cs["catalogue"] = [r.str("text", "catalogue id") for _ in range(n)]
    n = r.count(MAX_DEPENDS, 8, "dependencies")
    cs["depends"] = [r.str("depend", "dependency") for _ in range(n)]
    cs["first"], cs["last"] = r.below63("first clock"), r.below63("last clock")
    n = r.count(MAX_OPS, 36, "operations")
    ops = []
    for _ in range(n):
        seq, clock, kind = r.below63("op sequence"), r.below63("op clock"), r.u8("kind")
        if kind not in (1, 2):
            raise Refused("EINVALID", "kind %d" % kind)
        ops.append((seq, clock, r.str("text", "person"), r.str("name", "record type"),
                    r.str("text", "record id"), "create" if kind == 1 else "set",
                    r.opt("name", "field"), r.opt("value", "old value"), r.opt("value", "new value"),
                    r.opt("parents", "parents")))
    if r.off != len(b):
        raise Refused("EINVALID", "bytes after the end")
    # The rules of the page that span fields.
    rules = [
        (cs["seq"] >= 1, "sequence 0"),
        ((cs["seq"] == 1) == (cs["prev"] == bytes(32)), "previous hash"),
        (cs["schema"] >= 1, "schema 0"),
        (all(a.encode() < b.encode() for a, b in zip(cs["catalogue"], cs["catalogue"][1:])),
         "catalogue order"),
        (all(a.encode() < b.encode() for a, b in zip(cs["depends"], cs["depends"][1:])),
         "dependency order"),
        (len({d.split(":")[0] for d in cs["depends"]}) == len(cs["depends"]), "a device twice"),
        (cs["device"] not in {d.split(":")[0] for d in cs["depends"]}, "its own device"),
        (len(ops) >= 1, "no operations"),
        (all(o[0] >= 1 for o in ops), "op sequence 0"),
        (all(a[0] < b[0] and a[1] < b[1] for a, b in zip(ops, ops[1:])), "op order"),
        (not ops or (cs["first"] == ops[0][1] and cs["last"] == ops[-1][1]), "clock range"),
        (all(o[6] is None and o[7] is None and o[8] is None and o[9] is None
             for o in ops if o[5] == "create"), "a create with a field, values or parents"),
        (all(o[6] is not None for o in ops if o[5] == "set"), "a set with no field"),
    ]
    for good, why in rules:
        if not good:
            raise Refused("EINVALID", why)
    cs["ops"] = ops
    return cs


# ---- the vectors ----------------------------------------------------------------

def clock(ms, counter=0):
    return ms << 16 | counter


def vectors():
    t0 = clock(0x1A203B1DC9C)  # 2026-11-22T14:38:37.724Z, counter 0
    v1 = encode("LEI", "d4f3a21", 1, bytes(32), 2, ["stages@1", "edm:OMU@1"], {"a7c90e2": 3}, [
        (41, t0, "A. Khan", "assessment", "omu/1.1", "set", "status", "not_assessed", "met",
         [("a7c90e2", clock(1795165925310))])])  # 2026-11-20T09:12:05.310Z
    t = t0 + (60000 << 16)
    v2 = encode("LEI", "d4f3a21", 2, changeset_hash(v1), 2, ["edm:OMU@1", "stages@1"],
                {"b19e4f0": 2, "a7c90e2": 5}, [
        (42, t, "A. Khan", "assessment", "omu/1.1", "set", "owner", None, "Head of OMU", None),
        (44, t + 1, "A. Khan", "assessment", "omu/1.1", "set", "evidence", "minutes of 3 May",
         "minutes of 3 and 10 May",
         [("b19e4f0", clock(1795334712001)),        # 2026-11-22T08:05:12.001Z
          ("a7c90e2", clock(1795278048912, 1))])])  # 2026-11-21T16:20:48.912Z, counter 1
    t = t0 + (86400000 << 16)
    who = "Siobh\u00e1n O\u2019Neill"
    v3 = encode("LEI", "d4f3a21", 3, changeset_hash(v2), 2, ["edm:OMU@1"],
                {"a7c90e2": 6, "b19e4f0": 4, "a7c90e2-2": 1}, [
        (50, t, who, "inspection", "omic-pre-release-2022", "create", None, None, None, None),
        (51, t + 1, who, "inspection", "omic-pre-release-2022", "set", "title", None,
         "Offender Management in Custody \u2013 Pre-release", None),
        (52, t + 2, who, "assessment", "omu/2.4", "set", "local_arrangement", "", None,
         [("b19e4f0", clock(1795431797450)),      # 2026-11-23T11:03:17.450Z
          ("a7c90e2", clock(1795430490006)),      # 2026-11-23T10:41:30.006Z
          ("a7c90e2-2", clock(1795427702117))]),  # 2026-11-23T09:55:02.117Z
        (53, t + 3, who, "assessment", "omu/2.4", "set", "evidence", None, "",
         [("b19e4f0", clock(1795431797450, 1))])])
    return [v1, v2, v3]


def page_example():
    """The bytes of the worked example's hex dump on the format page, checked against its offsets."""
    page = os.path.join(HERE, "..", "..", "..", "docs", "format", "changeset.md")
    with open(page, encoding="utf-8") as f:
        text_ = f.read()
    block = text_[text_.index("## Worked example"):]
    block = block[block.index("```\n") + 4:]
    block = block[:block.index("```")]
    out = b""
    for line in block.splitlines():
        words = line.split()
        if not words or words[0] == "operation":
            continue
        if len(words[0]) == 4 and line[0] != " ":
            if int(words[0], 16) != len(out):
                raise ValueError("the dump's offset %s is not byte %d" % (words[0], len(out)))
            words = words[1:]
        for w in words:
            if len(w) != 2 or any(c not in "0123456789abcdef" for c in w):
                break
            out += bytes([int(w, 16)])
    return out


def read_hex(name):
    with open(os.path.join(HERE, name)) as f:
        return bytes.fromhex("".join(f.read().split()))


def refused(b, code):
    try:
        decode(b)
    except Refused as e:
        return e.code == code
    return False


def with_parents(v, old, new):
    """v with the parents string old (in the last op, whose length field precedes it) replaced."""
    a, b = old.encode(), new.encode()
    i = v.rindex(u32(len(a)) + a)
    return v[:i] + u32(len(b)) + b + v[i + 4 + len(a):]


def damaged(v1, v3):
    """Copies the page says a reader refuses, with the code it says."""
    par = "a7c90e2@117647994081116160"
    dep = b"\x00\x00\x00\x09a7c90e2:3"
    yield "format 1", v1[:4] + u32(1) + v1[8:], "EVERSION"
    yield "format 3", v1[:4] + u32(3) + v1[8:], "EVERSION"
    yield "format 0", v1[:4] + u32(0) + v1[8:], "EINVALID"
    yield "dependency on its own device", v1.replace(dep, b"\x00\x00\x00\x09d4f3a21:3"), "EINVALID"
    yield "dependency seq 0", v1.replace(dep, b"\x00\x00\x00\x09a7c90e2:0"), "EINVALID"
    yield "dependency seq 03", v1.replace(dep, b"\x00\x00\x00\x0aa7c90e2:03"), "EINVALID"
    pair = text("a7c90e2-2:1") + text("a7c90e2:6")
    yield "dependencies out of order", v3.replace(pair, text("a7c90e2:6") + text("a7c90e2-2:1")), "EINVALID"
    yield "one device twice", v3.replace(pair, text("a7c90e2:6") + text("a7c90e2:7")), "EINVALID"
    yield "parent clock 01", with_parents(v1, par, "a7c90e2@01"), "EINVALID"
    yield "parents with a trailing comma", with_parents(v1, par, par + ","), "EINVALID"
    yield "parents repeated", with_parents(v1, par, par + "," + par), "EINVALID"
    yield "parents empty", with_parents(v1, par, ""), "EINVALID"
    yield "parents unsorted", with_parents(v1, par, "b1@1,a1@1"), "EINVALID"
    many = ",".join("a%02d@0" % k for k in range(65))
    yield "65 parents", with_parents(v1, par, many), "EINVALID"
    yield "truncated", v1[:-1], "EINVALID"
    yield "a byte after the end", v1 + b"\x00", "EINVALID"


def main():
    bad = 0
    vs = vectors()
    for i, v in enumerate(vs, 1):
        if read_hex("seq%d.hex" % i) != v:
            print("seq%d.hex differs from the format page; expected:\n%s" % (i, v.hex()))
            bad += 1
        if read_hex("seq%d.blake2b" % i) != changeset_hash(v):
            print("seq%d.blake2b differs; expected %s" % (i, changeset_hash(v).hex()))
            bad += 1
        try:
            cs = decode(read_hex("seq%d.hex" % i))
            again = encode(cs["site"], cs["device"], cs["seq"], cs["prev"], cs["schema"], cs["catalogue"],
                           dict((d.split(":")[0], int(d.split(":")[1])) for d in cs["depends"]),
                           [o[:9] + ([(p.split("@")[0], int(p.split("@")[1])) for p in o[9].split(",")]
                                     if o[9] else None,) for o in cs["ops"]])
            if again != v:
                print("seq%d: read back and written again, it differs" % i)
                bad += 1
        except Refused as e:
            print("seq%d: the reader refuses it: %s" % (i, e))
            bad += 1
        print("seq%d: %d bytes, hash %s" % (i, len(v), changeset_hash(v).hex()))
    try:
        if page_example() != vs[0]:
            print("the worked example on the format page is not seq1:\n%s" % page_example().hex())
            bad += 1
        else:
            print("the worked example on the format page is seq1, byte for byte")
    except ValueError as e:
        print("the worked example on the format page: %s" % e)
        bad += 1
    ok = 0
    for why, b, code in damaged(vs[0], vs[2]):
        if b in vs or not refused(b, code):
            print("damaged copy not refused with %s: %s" % (code, why))
            bad += 1
        else:
            ok += 1
    print("%d damaged copies refused" % ok)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
