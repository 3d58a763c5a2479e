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

/* A comment line of a minisign key or signature file, prefix excluded.
 * minisign's own reader stops the untrusted comment at 1024 bytes; ours
 * are under 100, so anything longer is not a file we wrote. */
#define MLV_MAX_MINISIG_COMMENT_BYTES 1024u

/* ---- manifest ---------------------------------------------------------- */

/* Editor keys in one manifest; equal to what an envelope can carry. */
#define MLV_MAX_MANIFEST_KEYS MLV_MAX_RECIPIENTS

/* Longest validity an admin may give a manifest, in days: a stolen or
 * stale manifest must die on its own. */
#define MLV_MAX_MANIFEST_DAYS 366u

/* Default validity when `manifest sign` is given none. */
#define MLV_DEFAULT_MANIFEST_DAYS 90u

/* ---- server ------------------------------------------------------------ */
/* malyava-dropbox. Values named DEFAULT are configurable (config file and
 * flags) within [MIN, MAX]; the others are fixed. The server sits behind a
 * Tor onion service where every client is 127.0.0.1, so all limits are
 * global, never per address. */

/* One submission (a whole envelope). 2 GiB carries a long phone video; the
 * cap keeps one upload from taking the disk and stays far under
 * MLV_MAX_PAYLOAD_BYTES. */
#define MLV_SRV_DEFAULT_MAX_SUBMISSION_BYTES (2ull * 1024u * 1024u * 1024u)
#define MLV_SRV_MAX_MAX_SUBMISSION_BYTES MLV_MAX_PAYLOAD_BYTES

/* Below 64 KiB not even a short text testimony fits once padded. */
#define MLV_SRV_MIN_MAX_SUBMISSION_BYTES (64u * 1024u)

/* Disk quota for stored envelopes plus what pending uploads have reserved
 * (below): uploads are refused with 507 before the volume fills. */
#define MLV_SRV_DEFAULT_MAX_DISK_BYTES (64ull * 1024u * 1024u * 1024u)
#define MLV_SRV_MIN_MAX_DISK_BYTES (1024u * 1024u)

/* Largest byte count any setting takes: far above any disk a drop-box has,
 * far below UINT64_MAX, so sums of reservations never overflow. */
#define MLV_SRV_MAX_BYTES_SETTING (1024ull * 1024u * 1024u * 1024u * 1024u)

/* Free space left on the volume whatever the quota says, so SQLite, the
 * journal and the system keep working when other data shares the disk. */
#define MLV_SRV_DEFAULT_MIN_FREE_BYTES (1024ull * 1024u * 1024u)

/* A pending upload reserves, against the quota and the free space, what
 * it has received plus this much ahead of it (never past its declared
 * length), the reservation growing as bytes arrive. An upload up to this
 * size is reserved whole at creation, so it never meets 507 once created;
 * a declaration no byte backs holds no more than this; and it is large
 * enough that a fast upload extends its reservation (one commit) only
 * every 16 MiB. */
#define MLV_SRV_RESERVE_AHEAD_BYTES (16u * 1024u * 1024u)

/* Uploads created but not finished. Each holds a file, a row and at most
 * MLV_SRV_RESERVE_AHEAD_BYTES it has not received (16 GiB at the cap, a
 * quarter of the default quota). Ten times what 100 proofs of work at the
 * default difficulty can create, and uploads that never send a byte are
 * evicted first (below), so a flood's budget does not reach it. */
#define MLV_SRV_DEFAULT_MAX_PENDING_UPLOADS 1024u
#define MLV_SRV_MAX_MAX_PENDING_UPLOADS 100000u

/* Simultaneous connections. Each may touch at most its memory pool (below)
 * plus our request state, so the default bounds the server near 70 MiB
 * even if every connection were a fast upload at once. */
#define MLV_SRV_DEFAULT_MAX_CONNECTIONS 256u
#define MLV_SRV_MAX_MAX_CONNECTIONS 4096u

/* Seconds a connection may stay silent. Tor circuits add seconds of latency
 * and phones stall; two minutes rides that out while slow-loris clients
 * are still shed. */
#define MLV_SRV_DEFAULT_TIMEOUT_SECONDS 120u
#define MLV_SRV_MIN_TIMEOUT_SECONDS 5u
#define MLV_SRV_MAX_TIMEOUT_SECONDS 3600u

/* Hours an unfinished upload lives after the last byte it received (a
 * request without bytes moves nothing). A day lets a source on a jammed
 * link come back later. The clock is kept in memory only: the database
 * holds the day, never the hour. */
#define MLV_SRV_DEFAULT_UPLOAD_EXPIRY_HOURS 24u
#define MLV_SRV_MAX_UPLOAD_EXPIRY_HOURS (30u * 24u)

/* Days envelopes sealed to the previous manifest are still taken after a
 * rotation: a source may have loaded the page (and the old manifest) just
 * before. 0 refuses them at once, which is what a compromised key needs. */
#define MLV_SRV_DEFAULT_MANIFEST_GRACE_DAYS 7u
#define MLV_SRV_MAX_MANIFEST_GRACE_DAYS 90u

/* Threads serving connections (epoll each). A few cover fsync and disk
 * waits on a small host; more only add memory. */
#define MLV_SRV_DEFAULT_THREADS 4u
#define MLV_SRV_MAX_THREADS 64u

/* Memory libmicrohttpd may use per connection for the request line,
 * headers and read buffer. Bodies are streamed out of it, so it never
 * grows with the upload; its pages are only touched as far as a
 * connection's reads fill it, so a slow connection costs far less (about
 * 12 KiB measured), while a fast one gets reads large enough to keep up
 * with the disk (32 KiB made 1 GiB ingest 3x slower than nginx). */
#define MLV_SRV_CONNECTION_MEMORY_BYTES (256u * 1024u)

/* The longest URL a route uses is 48 bytes; anything far longer is a probe. */
#define MLV_SRV_MAX_URL_BYTES 256u

/* Request headers: a browser sends about 15 in under 2 KiB. */
#define MLV_SRV_MAX_HEADERS 48u
#define MLV_SRV_MAX_HEADER_BYTES (8u * 1024u)

/* tus Upload-Metadata pairs: generic clients send two or three (ours none);
 * the cap bounds the duplicate-key check. */
#define MLV_SRV_MAX_METADATA_PAIRS 32u

/* During a long PATCH the offset is made durable (fdatasync, then a
 * committed row) after this many bytes, or after MLV_SRV_COMMIT_EVERY_SECONDS
 * once at least MLV_SRV_COMMIT_MIN_BYTES arrived: a fast link pays for few
 * fsyncs, and a crash never costs a slow link (a phone at 20 KB/s) more
 * than a few seconds of its upload. */
#define MLV_SRV_COMMIT_EVERY_BYTES (64u * 1024u * 1024u)
#define MLV_SRV_COMMIT_EVERY_SECONDS 5u
#define MLV_SRV_COMMIT_MIN_BYTES (64u * 1024u)

/* libmicrohttpd cannot answer before the body is read, so after an error
 * found mid-body the rest is read and dropped to deliver the message; past
 * this the connection is closed instead of wasting the source's link. */
#define MLV_SRV_DRAIN_MAX_BYTES (4u * 1024u * 1024u)

/* An upload that never received a byte expires this long after its
 * creation: a client sends its first PATCH at once, so only a declaration
 * nothing backs waits this long. */
#define MLV_SRV_UNSTARTED_EXPIRY_SECONDS 900u

/* At the pending-upload cap, a new upload evicts the one that never
 * received a byte and was created longest ago, once it has waited this
 * long: time enough for an honest client's first PATCH to arrive. */
#define MLV_SRV_EVICT_UNSTARTED_SECONDS 60u

/* Retry-After for 503 answers (too many pending uploads, expired manifest). */
#define MLV_SRV_RETRY_AFTER_SECONDS 600u

/* How often the running server drops expired uploads (a look at the
 * clocks in memory, then a row and a file per expired upload). */
#define MLV_SRV_SWEEP_SECONDS 60u

/* The editor export token: 256 bits, so guessing is hopeless and a fast
 * hash (BLAKE2b-256) is enough to store it. */
#define MLV_SRV_EXPORT_TOKEN_BYTES 32u

/* Milliseconds to wait for another process (install-manifest, stats) that
 * holds the database lock. */
#define MLV_SRV_DB_BUSY_MS 5000u

/* The editors' listener (export, ack, replies import): its own daemon on
 * its own loopback port, reached only through an onion service with client
 * authorization, so a flood of sources can never hold its slots. A few
 * editors at once; two threads so that building one export bundle (a long
 * synchronous write) does not stall an ack or a replies import. No count
 * of wrong tokens is kept: 256 bits make guessing hopeless, and a lockout
 * would only let a stranger shut the editors out. */
#define MLV_SRV_EDITORS_MAX_CONNECTIONS 16u
#define MLV_SRV_EDITORS_THREADS 2u

/* An ack file: its first line plus one 73-byte line per submission of the
 * largest bundle, with room to spare. Read whole into memory. */
#define MLV_SRV_MAX_ACK_BYTES (8u * 1024u * 1024u)

/* A replies bundle sent to the server: MLV_BUNDLE_MAX_REPLIES small
 * replies fit many times over; streamed to a temporary file, never held. */
#define MLV_SRV_MAX_REPLIES_BUNDLE_BYTES (256u * 1024u * 1024u)

/* What one fetch returns, newest replies first: an answer a source on a
 * slow Tor link can still download. Older replies stay until retention. */
#define MLV_SRV_FETCH_MAX_REPLIES 32u
#define MLV_SRV_FETCH_MAX_BYTES (8u * 1024u * 1024u)

/* Reply accounts at once: far above any newsroom's sources, low enough
 * that a flood of registrations (each about 150 bytes with its index)
 * cannot fill the disk. At the cap a new account takes the place of the
 * oldest one no reply is waiting for, which loses nothing: replies are
 * kept by reply key, and registering again links them back. */
#define MLV_SRV_DEFAULT_MAX_REPLY_ACCOUNTS 1000000u
#define MLV_SRV_MAX_MAX_REPLY_ACCOUNTS 10000000u

/* A reply account lives this many days after it was created, or after
 * the newest reply for it arrived or the source last fetched replies,
 * whichever is latest; then it goes with its replies. Registering again
 * does not extend it, so nobody keeps empty accounts alive for free, and a
 * source who stopped coming back leaves nothing behind. */
#define MLV_SRV_DEFAULT_REPLY_ACCOUNT_DAYS 90u
/* Anything received (submissions, replies) older than this is deleted,
 * exported or not: a seized server holds at most this much history. */
#define MLV_SRV_DEFAULT_RETENTION_DAYS 180u
#define MLV_SRV_MAX_RETENTION_DAYS 3650u
/* `stats` warns about submissions this close to deletion by retention. */
#define MLV_SRV_RETENTION_WARN_DAYS 14u

/* What needs the admin (`check`, `stats`, the server's log). Two weeks
 * before the manifest's last valid day leaves time to reach the offline
 * signing machine and carry a new one over; the log repeats it at 7 days
 * and 1 day, and on the last day. */
#define MLV_SRV_MANIFEST_WARN_DAYS 14u
#define MLV_SRV_MANIFEST_URGENT_DAYS 7u
/* Past this share of max_disk_bytes (percent) or of max_pending_uploads,
 * new sources are near to being refused. */
#define MLV_SRV_CHECK_QUOTA_PERCENT 90u

/* Proof of work on upload creation (docs/PROTOCOL.md). 20 leading zero
 * bits is about a million BLAKE2b calls: a few seconds on a cheap phone,
 * nothing for one source, a real cost for a flood of fake uploads. The
 * admin raises it under a flood; 0 turns it off. */
#define MLV_SRV_DEFAULT_POW_BITS 20u
#define MLV_SRV_MAX_POW_BITS 32u
/* The work grows with the declared length: pow_bits buys up to
 * max_disk_bytes / 512 (128 MiB of the default quota), and each doubling
 * of the length past that costs one bit more (a 2 GiB upload 16 times the
 * work of a 1 MB one). So N solutions at pow_bits can never hold more than
 * N/512 of the quota, pending or received, and a flood must pay for the
 * bytes it would take; a 2 GiB upload over Tor takes hours, its work a
 * minute on a phone. */
#define MLV_SRV_POW_QUOTA_SHARES 512u
/* A challenge is good this long after it was issued: a phone on a bad
 * link solves it and creates the upload well within it. */
#define MLV_SRV_POW_VALID_MINUTES 30u
/* Used challenges remembered (until they expire) to refuse a second use:
 * 64 Ki in half an hour is 36 uploads a second, far beyond what the
 * quota and the pending-upload cap let through anyway; past it, creation
 * waits (503). */
#define MLV_SRV_POW_MAX_USED 65536u

/* The no-JavaScript form (POST /nojs): the server holds the whole body in
 * guarded memory while it seals it, so it stays small. Larger files need
 * the JavaScript page, which seals on the source's device and streams. */
#define MLV_SRV_NOJS_MAX_BYTES (16u * 1024u * 1024u)
/* Form parts (five fields, the message, the honeypot and the files) and
 * files among them: a form, not an archive. */
#define MLV_SRV_NOJS_MAX_PARTS 32u
#define MLV_SRV_NOJS_MAX_FILES 8u
/* Bytes of one part's header block (Content-Disposition, Content-Type):
 * a browser writes under 200. */
#define MLV_SRV_NOJS_MAX_PART_HEADER_BYTES 1024u
/* Plain forms received or sealed at once: each holds up to
 * MLV_SRV_NOJS_MAX_BYTES of guarded memory, so 4 bound them to 64 MiB;
 * more get 503. A small share of max_connections, so the form can never
 * take the connections the JavaScript page needs. */
#define MLV_SRV_DEFAULT_NOJS_MAX_CONCURRENT 4u
#define MLV_SRV_MAX_NOJS_MAX_CONCURRENT 64u
/* Envelopes the plain form may hold on disk until the editors ack them
 * (counted within max_disk_bytes). The form asks no proof of work, so
 * whoever has the bandwidth can fill its share for free; the share keeps
 * that from ever reaching the JavaScript path's room. 2 GiB is 128 full
 * forms, weeks of honest plain-form use. */
#define MLV_SRV_DEFAULT_NOJS_MAX_DISK_BYTES (2ull * 1024u * 1024u * 1024u)
/* The slowest a plain form may arrive: after the grace, a form must have
 * sent at least min_rate bytes for each second since, or it loses its slot
 * to the next form that needs one. 512 B/s is half of what GPRS's most
 * robust coding (CS-1, 9.05 kbit/s) carries on the one uplink timeslot
 * every phone has, so a jammed 2G link that still carries anything gets a
 * 1 MB form through (in at most 33 minutes), while holding a slot costs
 * that much upload for as long as it is held, instead of a byte a minute. */
#define MLV_SRV_DEFAULT_NOJS_MIN_RATE 512u
#define MLV_SRV_MAX_NOJS_MIN_RATE (1024u * 1024u)
/* Seconds before the rate counts: Tor builds the circuit and TCP starts
 * slowly over a 2G link's second-long round trips. */
#define MLV_SRV_DEFAULT_NOJS_GRACE_SECONDS 30u
#define MLV_SRV_MAX_NOJS_GRACE_SECONDS 3600u

/* Language ranges read from one Accept-Language header; browsers send 2
 * to 6, the rest is ignored. */
#define MLV_SRV_ACCEPT_LANGUAGE_MAX_RANGES 32u

/* ---- bundles ----------------------------------------------------------- */
/* SQLite files carried across the air gap (docs/FORMAT.md). */

/* One chunk row of an envelope in an export bundle: large envelopes are
 * split so no reader ever has to hold a multi-gigabyte blob. */
#define MLV_BUNDLE_CHUNK_BYTES (1024u * 1024u)

/* Submissions in one export bundle; the server exports the oldest first
 * and the rest follow after the editors' ack. */
#define MLV_BUNDLE_MAX_SUBMISSIONS 100000u

/* Replies in one replies bundle, and bytes of one sealed reply (a text
 * answer, no files). */
#define MLV_BUNDLE_MAX_REPLIES 100000u
#define MLV_REPLY_MAX_BYTES (1024u * 1024u)

/* ---- submit (client) --------------------------------------------------- */
/* `malyava submit`, the tus client intermediaries use. Its links are the
 * worst: Tor circuits, jammed mobile lines, a lawyer's hotel Wi-Fi. */

/* Bytes per PATCH (--chunk-size). Each chunk is held in memory to take its
 * SHA-256 before sending; 4 MiB is a few seconds over Tor, so a dropped
 * link costs little, while the per-request round trip stays small. */
#define MLV_SUBMIT_DEFAULT_CHUNK_BYTES (4u * 1024u * 1024u)
#define MLV_SUBMIT_MIN_CHUNK_BYTES (16u * 1024u)
#define MLV_SUBMIT_MAX_CHUNK_BYTES (64u * 1024u * 1024u)

/* The first PATCH of an upload is at most this long: the server judges
 * the envelope header from its first bytes, so a refusal arrives before
 * gigabytes are sent. Holds the largest possible header. */
#define MLV_SUBMIT_FIRST_PATCH_BYTES (64u * 1024u)

/* Failed attempts in a row (--retries) before giving up; any progress
 * starts the count again. With the backoff below, 20 rides out up to a
 * quarter of an hour without a link. */
#define MLV_SUBMIT_DEFAULT_RETRIES 20u
#define MLV_SUBMIT_MAX_RETRIES 10000u

/* Exponential backoff between attempts: the first wait, doubled each
 * time up to the cap; each wait is drawn from [half, all] of its value so
 * that many clients cut off together do not return together. */
#define MLV_SUBMIT_BACKOFF_FIRST_MS 1000u
#define MLV_SUBMIT_BACKOFF_MAX_MS 60000u

/* A server's Retry-After is obeyed up to this; longer asks are capped so
 * a hostile server cannot park the client for days. */
#define MLV_SUBMIT_MAX_RETRY_AFTER_SECONDS 600u

/* Seconds to set up a connection. Reaching an onion service builds a
 * rendezvous circuit, which can take most of a minute. */
#define MLV_SUBMIT_CONNECT_TIMEOUT_SECONDS 90u

/* A transfer moving fewer than STALL_BYTES per second for STALL_SECONDS is
 * dropped and resumed: shorter than the server's inactivity timeout, long
 * enough for a Tor circuit that hiccups. */
#define MLV_SUBMIT_STALL_BYTES 16u
#define MLV_SUBMIT_STALL_SECONDS 60u

/* Bytes of a server error body kept to show the user (one line of text). */
#define MLV_SUBMIT_MAX_ERROR_BYTES 512u

/* The drop-box URL given on the command line; real ones (an onion name
 * and a path) are under 100 bytes. */
#define MLV_SUBMIT_MAX_URL_BYTES 1024u

/* What a person may type as a codename: ten words of four letters with
 * generous separators fit many times over. */
#define MLV_CODENAME_MAX_TYPED_BYTES 512u

/* ---- image metadata (lib/imagemeta.c) ----------------------------------- */
/* Photos and videos are hostile input on the editors' machine. Work is
 * linear in the file size anyway; these bounds stop files made only of
 * empty segments or chunks, and keep the parser's memory fixed. */

/* JPEG marker segments (SOI to EOI). A camera JPEG has about 20, a
 * progressive one with many scans under 100. */
#define MLV_IMG_MAX_JPEG_SEGMENTS 65536u

/* PNG chunks. Encoders cut the image data into IDAT chunks of 8 to 64 KiB,
 * so a million covers an 8 GiB file at the smallest common size. */
#define MLV_IMG_MAX_PNG_CHUNKS (1024u * 1024u)

/* One PNG chunk's data. The format allows 2^31 - 1; chunks are streamed,
 * never held, so this only refuses files that make no sense (a single
 * IDAT above 1 GiB). */
#define MLV_IMG_MAX_PNG_CHUNK_BYTES (1024u * 1024u * 1024u)

/* An Exif block held in memory to read its IFDs: a JPEG APP1 segment
 * cannot exceed 65533 bytes; a larger PNG eXIf is removed unread and
 * flagged "may hold anything". */
#define MLV_IMG_MAX_EXIF_BYTES (64u * 1024u)

/* Video (ISO-BMFF) boxes visited, and how deep moov/trak/udta/meta/ilst
 * may nest: real files have a few hundred boxes at depth 4. */
#define MLV_IMG_MAX_VIDEO_BOXES 100000u
#define MLV_IMG_MAX_BOX_DEPTH 8u

/* The text of one reply from editors to a source. */
#define MLV_REPLY_MAX_TEXT_BYTES (64u * 1024u)

/* The editors' triage (client/triage.c): tags kept per testimony, the
 * length of one note or tag, and how many testimonies one command may
 * change at once (one passphrase for a batch, one transaction). */
#define MLV_TRIAGE_MAX_TAGS 32u
#define MLV_TRIAGE_MAX_VALUE_BYTES (16u * 1024u)
#define MLV_TRIAGE_MAX_BATCH 10000u

/* ---- the editors' desk (client/desk_*.c) -------------------------------- */
/* `malyava desk`: the vault unlocked once, served to one browser tab on
 * 127.0.0.1 and to the command line over a Unix socket. */

/* Minutes without a request before the desk locks itself: long enough to
 * read one testimony closely, short enough that a machine left alone
 * locks within the quarter hour. --idle-minutes sets it, up to a working
 * day (past that it is no lock) and down to 3 seconds (for tests). */
#define MLV_DESK_DEFAULT_IDLE_MINUTES 15u
#define MLV_DESK_MAX_IDLE_MINUTES 720u
#define MLV_DESK_MIN_IDLE_SECONDS 3u

/* Connections the loopback server takes at once: a browser opens six per
 * host, the rest is room for a reload. */
#define MLV_DESK_MAX_CONNECTIONS 16u
/* Seconds a connection may stay silent: only the editor's browser talks
 * to the desk, and it does not pause mid-request. */
#define MLV_DESK_CONNECTION_TIMEOUT_SECONDS 60u
/* Memory libmicrohttpd may use per connection (request line, headers,
 * read buffer); bodies are copied out as they arrive. */
#define MLV_DESK_CONNECTION_MEMORY_BYTES (64u * 1024u)
/* The URL with its query: a search typed in the inbox travels there. */
#define MLV_DESK_MAX_URL_BYTES 4096u
/* Request headers: a browser sends about 15 in under 2 KiB. */
#define MLV_DESK_MAX_HEADERS 48u
/* A request body, read whole into guarded memory: a reply (64 KiB of
 * text) escaped as JSON fits with room. */
#define MLV_DESK_MAX_BODY_BYTES (512u * 1024u)
/* Query arguments of one request: the inbox takes about fifteen. */
#define MLV_DESK_MAX_ARGS 32u
/* A search or filter value: longer is a paste by mistake. */
#define MLV_DESK_MAX_QUERY_BYTES 1024u
/* Rows of the inbox in one answer; the page asks for more as it scrolls. */
#define MLV_DESK_MAX_PAGE_ROWS 500u
/* Testimonies one request may triage: the command line's batch cap. */
#define MLV_DESK_MAX_BATCH MLV_TRIAGE_MAX_BATCH
/* A photo shown as a cleaned preview is decrypted and cleaned in memory;
 * larger ones are extracted to a folder instead. */
#define MLV_DESK_MAX_PREVIEW_BYTES (32u * 1024u * 1024u)
/* Entries read from one folder when looking for bundles (a USB stick). */
#define MLV_DESK_MAX_FOLDER_ENTRIES 10000u
/* What a command run for the page printed, kept to show it. */
#define MLV_DESK_MAX_OUTPUT_BYTES (256u * 1024u)
/* A command line sent over the desk's socket: one datagram holding a
 * reply's 64 KiB of text or a note with room; a longer one runs without
 * the desk. */
#define MLV_DESK_MAX_VERB_BYTES (160u * 1024u)
#define MLV_DESK_MAX_VERB_ARGS 256u

#endif
