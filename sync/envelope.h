/*
 * envelope.h - a changeset sealed for an untrusted carrier (a git host, a
 * USB stick): encrypted to its recipients and signed by its device.
 *
 * The payload (a canonical changeset) is compressed with raw deflate when
 * that makes the envelope smaller (format 2; a payload that does not shrink
 * is stored as it is, and the mode says which), then encrypted under a fresh
 * random key, with XChaCha20-Poly1305 in one piece or, from
 * WK_ENVELOPE_STREAM_MIN bytes of what is encrypted, with secretstream in
 * 64 KiB chunks. That key is sealed with crypto_box_seal to each recipient's
 * X25519 key. One Ed25519 signature covers the whole header (format, site,
 * device, sequence, previous hash, signer, recipients, mode, inflated
 * length, nonce, payload length and payload hash), and so, through the hash,
 * the ciphertext; the mode and the inflated length are also in the AEAD's
 * additional data. Readers accept format 1 (never compressed) too. The byte
 * layout is docs/format/envelope.md.
 *
 * This module parses and checks bytes; it does not decide whom to trust.
 * The caller opens an envelope in this order, and nothing later runs before
 * everything earlier passed: wk_envelope_parse (size caps, strict layout, no
 * crypto) -> trust of info.signer for info.site at info.seq (sync/trust.h)
 * -> wk_envelope_verify (signature, payload hash) -> chain position (the
 * caller's) -> wk_envelope_decrypt (decryption, then inflation within the
 * payload cap) -> decoding the changeset, with caps.
 */
#ifndef WK_ENVELOPE_H
#define WK_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define WK_ENVELOPE_MAGIC "WKE1"
#define WK_ENVELOPE_FORMAT 2     /* what a writer writes */
#define WK_ENVELOPE_FORMAT_MIN 1 /* the oldest a reader reads (never compressed) */
/* The mode's bits: how the payload is encrypted, and (format 2) whether it is compressed. */
#define WK_ENVELOPE_MODE_STREAM 1  /* secretstream; else one AEAD piece */
#define WK_ENVELOPE_MODE_DEFLATE 2 /* the plaintext is a raw deflate stream (RFC 1951) */
/* Payloads (as encrypted: after compression) from this size on are encrypted with secretstream. */
#define WK_ENVELOPE_STREAM_MIN ((size_t)1 << 20)
#define WK_ENVELOPE_CHUNK ((size_t)64 << 10)
#define WK_ENVELOPE_SEALED_KEY_BYTES 80 /* crypto_box_SEALBYTES + a 32-byte key */

typedef struct {
	size_t max_envelope;   /* the whole envelope, checked first */
	size_t max_recipients;
	size_t max_payload;    /* plaintext bytes after decryption */
} wk_envelope_limits;

/* 64 MiB envelopes, 1,000 recipients (200 sites' devices plus officers), 64 MiB payloads. */
#define WK_ENVELOPE_LIMITS_INIT { (size_t)64 << 20, 1000, (size_t)64 << 20 }

/* What the header says; pointers borrow from the envelope bytes. */
typedef struct {
	uint32_t format;
	char site[17], device[17];
	uint64_t seq;
	unsigned char prev[32];
	unsigned char signer[32];      /* Ed25519 public key */
	size_t nrecipients;
	const unsigned char *recipients; /* nrecipients x (32-byte X25519 key, 80-byte sealed key) */
	uint8_t mode;                  /* WK_ENVELOPE_MODE_* bits: 0 to 1 in format 1, 0 to 3 in format 2 */
	uint64_t inflated_len;         /* with WK_ENVELOPE_MODE_DEFLATE: the plaintext's declared bytes; else 0 */
	unsigned char nonce[24];       /* AEAD nonce, or the secretstream header */
	uint64_t payload_len;          /* ciphertext bytes */
	unsigned char payload_hash[32];
	size_t header_len;             /* bytes covered by the signature */
	const unsigned char *signature;
	const unsigned char *payload;
} wk_envelope_info;

typedef struct {
	const char *site, *device;
	uint64_t seq;
	const unsigned char *prev;     /* 32 bytes */
} wk_envelope_meta;

/* Signs m with the device's Ed25519 key (held by sync/keys.h; it never leaves there). */
typedef int (*wk_envelope_signer)(void *ctx, unsigned char sig[64], const unsigned char *m, size_t n);

/*
 * Seal payload for recipients (each a 32-byte X25519 public key), signed by
 * sign(ctx, ...) whose Ed25519 public key is signer_pk, in format 2: deflated
 * when that makes the envelope smaller, else stored as it is. The envelope
 * is appended to out; on failure out is as it was.
 */
int wk_envelope_seal(wk_buf *out, const wk_envelope_meta *meta, const unsigned char *payload,
                     size_t len, const unsigned char signer_pk[32], wk_envelope_signer sign, void *ctx,
                     const unsigned char (*recipients)[32], size_t nrecipients);

/*
 * For tests and fuzz harnesses only (a writer uses wk_envelope_seal): seal
 * payload exactly as given, in the encoding enc says. Format 1 writes what
 * wicket wrote before compression; with deflated set (format 2 only),
 * payload is taken to be a raw deflate stream that inflates to inflated_len
 * bytes, and nothing here checks that it does: a reader does.
 */
typedef struct {
	uint32_t format;       /* 1 or 2 */
	int deflated;
	uint64_t inflated_len;
} wk_envelope_encoding;

int wk_envelope_seal_as(wk_buf *out, const wk_envelope_meta *meta, const wk_envelope_encoding *enc,
                        const unsigned char *payload, size_t len, const unsigned char signer_pk[32],
                        wk_envelope_signer sign, void *ctx, const unsigned char (*recipients)[32],
                        size_t nrecipients);

/* Parse the header: size caps and strict layout only; no signature is checked. */
int wk_envelope_parse(wk_envelope_info *info, const unsigned char *p, size_t n,
                      const wk_envelope_limits *lim);

/* Check the signature over the header by info->signer, then the payload hash. */
int wk_envelope_verify(const wk_envelope_info *info);

/*
 * Open the payload key sealed to box_pk, with open_sealed (it holds the
 * secret key: e.g. crypto_box_seal_open behind sync/keys.h), and decrypt
 * into out (cleared first), inflating a compressed payload: the plaintext is
 * capped at lim->max_payload bytes, a compressed one also at its declared
 * length, both enforced while inflating (out never grows past them). Only
 * after wk_envelope_verify.
 */
int wk_envelope_decrypt(wk_buf *out, const wk_envelope_info *info, const unsigned char *box_pk,
                        int (*open_sealed)(void *ctx, unsigned char key[32], const unsigned char *sealed,
                                           size_t len),
                        void *ctx, const wk_envelope_limits *lim);

#endif
