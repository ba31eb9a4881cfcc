#!/usr/bin/env python3
"""Rebuild the golden changesets from docs/format/changeset.md alone, with
Python's standard library: an independent check that the format document
describes every byte and that the C encoder follows it.

Not run by ctest (the project does not depend on Python); run it by hand
after changing the format or the encoder, from the repository root:
    python3 tests/changeset/vectors/check_vectors.py
It exits 0 when seq1..3.hex and seq1..3.blake2b are exactly what the page
describes.
"""
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def text(s):
    b = s.encode("utf-8")
    return u32(len(b)) + b


def opt(s):
    return b"\x00" if s is None else b"\x01" + text(s)


def encode(site, device, seq, prev, schema, catalogue, ops):
    catalogue = sorted(set(catalogue), key=lambda c: c.encode("utf-8"))
    out = b"WKCS" + u32(1) + text(site) + text(device) + u64(seq) + prev + u32(schema)
    out += u32(len(catalogue)) + b"".join(text(c) for c in catalogue)
    out += u64(ops[0][1]) + u64(ops[-1][1]) + u32(len(ops))
    for (oseq, clock, person, entity, eid, kind, field, old, new) in ops:
        out += u64(oseq) + u64(clock) + bytes([1 if kind == "create" else 2])
        out += text(person) + text(entity) + text(eid) + opt(field) + opt(old) + opt(new)
    return out


def changeset_hash(b):
    return hashlib.blake2b(b"wicket.changeset.v1\x00" + b, digest_size=32).digest()


def vectors():
    t0 = 0x1A203B1DC9C << 16  # 2026-11-22T14:38:37.724Z, counter 0
    v1 = encode("LEI", "d4f3a21", 1, bytes(32), 2, ["stages@1", "edm:OMU@1"], [
        (41, t0, "A. Khan", "assessment", "omu/1.1", "set", "status", "not_assessed", "met")])
    t = t0 + (60000 << 16)
    v2 = encode("LEI", "d4f3a21", 2, changeset_hash(v1), 2, ["edm:OMU@1", "stages@1"], [
        (42, t, "A. Khan", "assessment", "omu/1.1", "set", "owner", None, "Head of OMU"),
        (44, t + 1, "A. Khan", "assessment", "omu/1.1", "set", "evidence", "minutes of 3 May",
         "minutes of 3 and 10 May")])
    t = t0 + (86400000 << 16)
    who = "Siobh\u00e1n O\u2019Neill"
    v3 = encode("LEI", "d4f3a21", 3, changeset_hash(v2), 2, ["edm:OMU@1"], [
        (50, t, who, "inspection", "omic-pre-release-2022", "create", None, None, None),
        (51, t + 1, who, "inspection", "omic-pre-release-2022", "set", "title", None,
         "Offender Management in Custody \u2013 Pre-release"),
        (52, t + 2, who, "assessment", "omu/2.4", "set", "local_arrangement", "", None),
        (53, t + 3, who, "assessment", "omu/2.4", "set", "evidence", None, "")])
    return [v1, v2, v3]


def read_hex(name):
    with open(os.path.join(HERE, name)) as f:
        return bytes.fromhex("".join(f.read().split()))


def main():
    bad = 0
    for i, v in enumerate(vectors(), 1):
        if read_hex("seq%d.hex" % i) != v:
            print("seq%d.hex differs from the format page; expected:\n%s" % (i, v.hex()))
            bad += 1
        if read_hex("seq%d.blake2b" % i) != changeset_hash(v):
            print("seq%d.blake2b differs; expected %s" % (i, changeset_hash(v).hex()))
            bad += 1
        print("seq%d: %d bytes, hash %s" % (i, len(v), changeset_hash(v).hex()))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
