#!/usr/bin/env python3
"""Rebuild the golden key files from docs/format/keyfile.md alone, with no
libsodium: an independent check that the format document describes every byte.

Not run by CI (it needs Python's `cryptography` >= 44 for Argon2id, which
Debian 12 does not package); run it by hand after changing the format:
    python3 tests/keys/vectors/check_vectors.py
"""
import hashlib
import os
import struct
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id


def raw_public(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kdf(ctx, subkey_id, master):
    """crypto_kdf_derive_from_key: BLAKE2b-256 keyed with master, salt = id (u64 LE) || 0^8, personal = ctx || 0^8."""
    return hashlib.blake2b(b"", digest_size=32, key=master, salt=struct.pack("<Q", subkey_id) + bytes(8),
                           person=ctx + bytes(8)).digest()


def hchacha20(key, nonce16):
    def rotl(v, c):
        return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))

    def qr(x, a, b, c, d):
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = rotl(x[b] ^ x[c], 7)

    x = list(struct.unpack("<4I", b"expand 32-byte k") + struct.unpack("<8I", key) + struct.unpack("<4I", nonce16))
    for _ in range(10):
        qr(x, 0, 4, 8, 12); qr(x, 1, 5, 9, 13); qr(x, 2, 6, 10, 14); qr(x, 3, 7, 11, 15)
        qr(x, 0, 5, 10, 15); qr(x, 1, 6, 11, 12); qr(x, 2, 7, 8, 13); qr(x, 3, 4, 9, 14)
    return struct.pack("<8I", *(x[0:4] + x[12:16]))


def xchacha20poly1305_encrypt(key, nonce24, plain, ad):
    return ChaCha20Poly1305(hchacha20(key, nonce24[:16])).encrypt(bytes(4) + nonce24[16:], plain, ad)


def read_vector(path):
    hexdigits = "".join(line.split("#", 1)[0].strip() for line in open(path))
    return bytes.fromhex(hexdigits)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    seed = bytes(range(32))
    sign_seed = kdf(b"wksign01", 1, seed)
    box_sk = hashlib.sha512(kdf(b"wkboxk01", 1, seed)).digest()[:32]  # crypto_box_seed_keypair
    sign_pk = raw_public(Ed25519PrivateKey.from_private_bytes(sign_seed))
    box_pk = raw_public(X25519PrivateKey.from_private_bytes(box_sk))
    key_id = hashlib.blake2b(sign_pk, digest_size=32).digest()[:8].hex()

    prefix = b"WKK1" + bytes([1])
    clear = prefix + bytes([2]) + sign_pk + box_pk + sign_seed + box_sk

    salt, nonce = bytes(range(0x40, 0x50)), bytes(range(0x60, 0x78))
    header = prefix + bytes([1]) + sign_pk + box_pk + bytes([2]) + struct.pack(">QQ", 1, 8192) + salt + nonce
    key = Argon2id(salt=salt, length=32, iterations=1, lanes=1, memory_cost=8192 // 1024).derive(
        b"wicket golden passphrase")
    protected = header + xchacha20poly1305_encrypt(key, nonce, sign_seed + box_sk, header)

    ok = True
    for name, want in (("passphrase.hex", protected), ("unattended.hex", clear)):
        same = read_vector(os.path.join(here, name)) == want
        ok &= same
        print("%s: %s" % (name, "matches" if same else "DIFFERS"))
    print("sign_pk %s\nbox_pk  %s\nkey id  %s" % (sign_pk.hex(), box_pk.hex(), key_id))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
