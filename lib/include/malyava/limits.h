/*
 * Every size, count and time bound of Malyava, in one place.
 *
 * Each value says why it is what it is. Parsers of outside bytes check
 * against these before they allocate or loop; a value here is a promise
 * that nothing larger is ever accepted. Programs may lower (never raise
 * past the hard caps below) the ones marked "configurable".
 */
#ifndef MALYAVA_LIMITS_H
#define MALYAVA_LIMITS_H

/* ---- envelope ---------------------------------------------------------- */

/* Plaintext bytes per secretstream message. Large enough that the 17-byte
 * tag and the per-message call cost vanish (< 0.03 %), small enough that a
 * phone seals a gigabyte without holding more than one chunk. */
#define MLV_CHUNK_BYTES (64u * 1024u)

/* Recipients (editor keys) per envelope. A newsroom has a handful of
 * editors; the cap bounds the header a server must buffer before it can
 * check anything (64 * 91 bytes < 6 KiB). */
#define MLV_MAX_RECIPIENTS 64u

/* The metadata record (message text, fields, file list) as JSON. The
 * message lives here, so this is also the cap on testimony text; longer
 * texts travel as attachments. */
#define MLV_MAX_METADATA_BYTES (1024u * 1024u)

/* Attachments per submission: bounds the metadata parser's work and the
 * files an editor's `open` may create. */
#define MLV_MAX_FILES 1000u

/* Bytes of a file name kept from the metadata record (UTF-8). Longer names
 * are refused by the sealer and by the opener. */
#define MLV_MAX_NAME_BYTES 255u

/* Bytes of a media type ("image/jpeg"). RFC 6838 caps each half at 127. */
#define MLV_MAX_MEDIA_TYPE_BYTES 255u

/* Structured fields per submission and bytes per field value: place,
 * date, category, affected, contact... a form, not a database. */
#define MLV_MAX_FIELDS 32u
#define MLV_MAX_FIELD_NAME_BYTES 64u
#define MLV_MAX_FIELD_VALUE_BYTES (16u * 1024u)

/* Hard cap on one envelope's padded plaintext: 64 GiB. Far above the
 * server's configurable submission limit; it only keeps every length
 * computation inside uint64_t with room to spare. */
#define MLV_MAX_PAYLOAD_BYTES (64ull * 1024u * 1024u * 1024u)

/* ---- keys -------------------------------------------------------------- */

/* Argon2id parameters read from a secret key file are capped so a hostile
 * file cannot make the tool allocate or spin without bound. The caps sit at
 * libsodium's SENSITIVE profile, which is what `malyava-keys` writes by
 * default. */
#define MLV_KDF_MAX_OPSLIMIT 16ull
#define MLV_KDF_MAX_MEMLIMIT (1024ull * 1024u * 1024u)

/* A passphrase longer than this is a mistake (a file passed by error). */
#define MLV_MAX_PASSPHRASE_BYTES 1024u
/* Shorter than this is refused when a new passphrase is chosen. */
#define MLV_MIN_PASSPHRASE_BYTES 12u

/* Bytes of an editor's display name (local files only; never in the
 * public manifest). */
#define MLV_MAX_EDITOR_NAME_BYTES 64u

/* Any small text file we read whole (key files, manifest, signature,
 * config): nothing legitimate comes near this. */
#define MLV_MAX_SMALL_FILE_BYTES (64u * 1024u)

/* ---- manifest ---------------------------------------------------------- */

/* Editor keys in one manifest; equal to what an envelope can carry. */
#define MLV_MAX_MANIFEST_KEYS MLV_MAX_RECIPIENTS

/* Longest validity an admin may give a manifest, in days: a stolen or
 * stale manifest must die on its own. */
#define MLV_MAX_MANIFEST_DAYS 366u

/* Default validity when `manifest sign` is given none. */
#define MLV_DEFAULT_MANIFEST_DAYS 90u

#endif
