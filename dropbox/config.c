/* See config.h. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <malyava/fileio.h>

#include "harden.h"
#include "log.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)
#define TIB (1024ull * GIB)

/* Binary units for sizes, largest first (the form `init` writes). */
static const struct {
    const char *name;
    uint64_t mul;
} cfg_units[] = { { "TiB", TIB }, { "GiB", GIB }, { "MiB", MIB }, { "KiB", KIB } };

/* CFG_SWITCH is a count from 0 to 1 that a bare flag sets to 1;
 * CFG_LISTEN_OR_OFF also takes MLV_CFG_LISTEN_OFF. */
typedef enum { CFG_COUNT, CFG_BYTES, CFG_SWITCH, CFG_LISTEN, CFG_LISTEN_OR_OFF, CFG_HASH } cfg_type;

static const struct cfg_key {
    const char *name;
    cfg_type type;
    size_t offset;
    uint64_t min, max, def;
    const char *help;
} cfg_keys[] = {
    { "listen", CFG_LISTEN, offsetof(mlv_cfg, listen), 0, 0, 0,
      "Address and port the sources' pages and uploads are served on (ADDR:PORT,\n"
      "[IPv6]:PORT; port 0 picks a free one). Keep it on loopback: the Tor onion\n"
      "service forwards to it. Any other address is refused unless\n"
      "allow_public_listen = 1." },
    { "editors_listen", CFG_LISTEN_OR_OFF, offsetof(mlv_cfg, editors_listen), 0, 0, 0,
      "Address and port of the editors' routes (export, ack, replies import), never\n"
      "served on `listen`. Keep it on loopback behind its own onion service with\n"
      "client authorization (docs/DEPLOY.md); any other address is refused unless\n"
      "allow_public_editors_listen = 1. \"off\": no editors' routes at all (the\n"
      "host's export, ack and import-replies commands remain)." },
    { "allow_public_listen", CFG_SWITCH, offsetof(mlv_cfg, allow_public_listen), 0, 1, 0,
      "1 lets `listen` be an address other than loopback. Risky: every network that\n"
      "reaches the host then reaches the drop-box directly, around Tor, and learns\n"
      "where it runs. Only for a separate Tor host on a private network." },
    { "allow_public_editors_listen", CFG_SWITCH, offsetof(mlv_cfg, allow_public_editors_listen), 0, 1, 0,
      "1 lets `editors_listen` be an address other than loopback. Risky: the\n"
      "export token alone would then guard the export and purge of everything." },
    { "max_submission_bytes", CFG_BYTES, offsetof(mlv_cfg, max_submission_bytes), MLV_SRV_MIN_MAX_SUBMISSION_BYTES,
      MLV_SRV_MAX_MAX_SUBMISSION_BYTES, MLV_SRV_DEFAULT_MAX_SUBMISSION_BYTES,
      "Largest submission (one envelope) accepted; larger uploads get 413." },
    { "max_disk_bytes", CFG_BYTES, offsetof(mlv_cfg, max_disk_bytes), MLV_SRV_MIN_MAX_DISK_BYTES,
      MLV_SRV_MAX_BYTES_SETTING,
      MLV_SRV_DEFAULT_MAX_DISK_BYTES,
      "Quota for stored envelopes plus what pending uploads reserve (what each has\n"
      "received and at most 16 MiB ahead); over it, 507." },
    { "min_free_bytes", CFG_BYTES, offsetof(mlv_cfg, min_free_bytes), 0, MLV_SRV_MAX_BYTES_SETTING,
      MLV_SRV_DEFAULT_MIN_FREE_BYTES,
      "Free space always left on the volume; uploads that would eat into it get 507." },
    { "max_pending_uploads", CFG_COUNT, offsetof(mlv_cfg, max_pending_uploads), 1,
      MLV_SRV_MAX_MAX_PENDING_UPLOADS, MLV_SRV_DEFAULT_MAX_PENDING_UPLOADS,
      "Unfinished uploads at once; at the cap expired ones go, then one that never\n"
      "sent a byte for a minute; else 503 with Retry-After." },
    { "max_connections", CFG_COUNT, offsetof(mlv_cfg, max_connections), 1, MLV_SRV_MAX_MAX_CONNECTIONS,
      MLV_SRV_DEFAULT_MAX_CONNECTIONS, "Simultaneous connections; each costs at most 128 KiB." },
    { "timeout_seconds", CFG_COUNT, offsetof(mlv_cfg, timeout_seconds), MLV_SRV_MIN_TIMEOUT_SECONDS,
      MLV_SRV_MAX_TIMEOUT_SECONDS, MLV_SRV_DEFAULT_TIMEOUT_SECONDS,
      "Seconds a connection may stay silent before it is closed (its upload stays resumable)." },
    { "upload_expiry_hours", CFG_COUNT, offsetof(mlv_cfg, upload_expiry_hours), 1,
      MLV_SRV_MAX_UPLOAD_EXPIRY_HOURS, MLV_SRV_DEFAULT_UPLOAD_EXPIRY_HOURS,
      "Hours an unfinished upload is kept after the last byte it received (one\n"
      "that never sends a byte: 15 minutes)." },
    { "manifest_grace_days", CFG_COUNT, offsetof(mlv_cfg, manifest_grace_days), 0,
      MLV_SRV_MAX_MANIFEST_GRACE_DAYS, MLV_SRV_DEFAULT_MANIFEST_GRACE_DAYS,
      "Days after install-manifest during which envelopes sealed to the previous\n"
      "manifest are still accepted. 0 after removing a compromised key." },
    { "threads", CFG_COUNT, offsetof(mlv_cfg, threads), 1, MLV_SRV_MAX_THREADS, MLV_SRV_DEFAULT_THREADS,
      "Threads serving connections." },
    { "reply_account_days", CFG_COUNT, offsetof(mlv_cfg, reply_account_days), 1, MLV_SRV_MAX_RETENTION_DAYS,
      MLV_SRV_DEFAULT_REPLY_ACCOUNT_DAYS,
      "Days a source's reply account lives after it was created, after the newest\n"
      "reply for it arrived or after the source last fetched replies, whichever is\n"
      "latest; then it is deleted with its replies. Registering again does not\n"
      "extend it." },
    { "max_reply_accounts", CFG_COUNT, offsetof(mlv_cfg, max_reply_accounts), 1, MLV_SRV_MAX_MAX_REPLY_ACCOUNTS,
      MLV_SRV_DEFAULT_MAX_REPLY_ACCOUNTS,
      "Reply accounts at once. At the cap a new account replaces the oldest one no\n"
      "reply is waiting for (its source registers again to read later replies)." },
    { "retention_days", CFG_COUNT, offsetof(mlv_cfg, retention_days), 1, MLV_SRV_MAX_RETENTION_DAYS,
      MLV_SRV_DEFAULT_RETENTION_DAYS,
      "Days anything received (submissions, replies) is kept, exported or not." },
    { "pow_bits", CFG_COUNT, offsetof(mlv_cfg, pow_bits), 0, MLV_SRV_MAX_POW_BITS, MLV_SRV_DEFAULT_POW_BITS,
      "Leading zero bits of the proof of work a client computes before it may\n"
      "create an upload of up to max_disk_bytes/512 bytes, one more per doubling\n"
      "past it (about 2^N hashes; 20 takes a cheap phone a few seconds).\n"
      "Raise it under a flood of fake uploads, then send SIGHUP; 0 turns it off.\n"
      "Registering a codename for replies asks the same work." },
    { "nojs_max_concurrent", CFG_COUNT, offsetof(mlv_cfg, nojs_max_concurrent), 1, MLV_SRV_MAX_NOJS_MAX_CONCURRENT,
      MLV_SRV_DEFAULT_NOJS_MAX_CONCURRENT,
      "Plain forms (the page without JavaScript) received or sealed at once, each\n"
      "up to 16 MiB of memory; more get 503." },
    { "nojs_max_disk_bytes", CFG_BYTES, offsetof(mlv_cfg, nojs_max_disk_bytes), 0, MLV_SRV_MAX_BYTES_SETTING,
      MLV_SRV_DEFAULT_NOJS_MAX_DISK_BYTES,
      "Envelopes from the plain form kept at once until the editors ack them, part\n"
      "of max_disk_bytes; beyond it the plain form answers 503. 0 closes the form." },
    { "nojs_min_rate", CFG_COUNT, offsetof(mlv_cfg, nojs_min_rate), 1, MLV_SRV_MAX_NOJS_MIN_RATE,
      MLV_SRV_DEFAULT_NOJS_MIN_RATE,
      "Bytes per second a plain form must average after nojs_grace_seconds, or it\n"
      "loses its slot to the next form (512 lets a jammed 2G link send 1 MB)." },
    { "nojs_grace_seconds", CFG_COUNT, offsetof(mlv_cfg, nojs_grace_seconds), 1, MLV_SRV_MAX_NOJS_GRACE_SECONDS,
      MLV_SRV_DEFAULT_NOJS_GRACE_SECONDS, "Seconds a plain form may take before nojs_min_rate counts." },
    { "seccomp", CFG_COUNT, offsetof(mlv_cfg, seccomp), MLV_HARDEN_OFF, MLV_HARDEN_REPORT, MLV_HARDEN_ON,
      "System calls `serve` may make once started (seccomp allowlist, see SECURITY.md):\n"
      "1 enforces it; 2 lets a call outside it fail and logs its number (send those\n"
      "to the developers); 0 turns it off, for debugging only." },
    { "export_token_hash", CFG_HASH, offsetof(mlv_cfg, export_token_hash), 0, 0, 0,
      "BLAKE2b-256 (hex) of the editors' export token, written by init and\n"
      "new-export-token. The token itself is shown once and never stored." },
};

/* Keys older versions wrote that no longer do anything, accepted so that
 * their data directories still start. */
static const char *const cfg_obsolete[] = {
    "export_lockout_seconds", /* the editors' listener made the lockout pointless */
};

#define CFG_NKEYS (sizeof cfg_keys / sizeof cfg_keys[0])

void mlv_cfg_defaults(mlv_cfg *c)
{
    memset(c, 0, sizeof *c);
    memcpy(c->listen, MLV_CFG_DEFAULT_LISTEN, sizeof MLV_CFG_DEFAULT_LISTEN);
    memcpy(c->editors_listen, MLV_CFG_DEFAULT_EDITORS_LISTEN, sizeof MLV_CFG_DEFAULT_EDITORS_LISTEN);
    for (size_t i = 0; i < CFG_NKEYS; i++) {
        if (cfg_keys[i].type == CFG_COUNT || cfg_keys[i].type == CFG_BYTES || cfg_keys[i].type == CFG_SWITCH)
            memcpy((char *)c + cfg_keys[i].offset, &cfg_keys[i].def, sizeof(uint64_t));
    }
}

static const struct cfg_key *find_key(const char *name, size_t len)
{
    for (size_t i = 0; i < CFG_NKEYS; i++) {
        if (strlen(cfg_keys[i].name) == len && memcmp(cfg_keys[i].name, name, len) == 0)
            return &cfg_keys[i];
    }
    return NULL;
}

/* Decimal digits, then for sizes an optional binary unit: "2 GiB", "512MiB". */
static int parse_number(const char *s, int with_unit, uint64_t *out)
{
    uint64_t v = 0, mul = 1;
    const char *p = s;

    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10u)
            return -1;
        v = v * 10u + d;
    }
    if (with_unit) {
        while (*p == ' ')
            p++;
        for (size_t i = 0; *p != '\0' && i < sizeof cfg_units / sizeof cfg_units[0]; i++) {
            if (strcmp(p, cfg_units[i].name) == 0) {
                mul = cfg_units[i].mul;
                p += strlen(cfg_units[i].name);
            }
        }
    }
    if (*p != '\0' || (v != 0 && mul > UINT64_MAX / v))
        return -1;
    *out = v * mul;
    return 0;
}

int mlv_cfg_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *ss_len)
{
    char host[INET6_ADDRSTRLEN];
    const char *colon, *hstart = s, *hend;
    uint64_t port;
    size_t hlen;

    memset(ss, 0, sizeof *ss);
    if (s[0] == '[') {
        hstart = s + 1;
        hend = strchr(hstart, ']');
        if (hend == NULL || hend[1] != ':')
            return -1;
        colon = hend + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return -1;
        hend = colon;
    }
    hlen = (size_t)(hend - hstart);
    if (hlen == 0 || hlen >= sizeof host || parse_number(colon + 1, 0, &port) != 0 || port > 65535u)
        return -1;
    memcpy(host, hstart, hlen);
    host[hlen] = '\0';
    if (s[0] == '[') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return -1;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *ss_len = sizeof *a6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return -1;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *ss_len = sizeof *a4;
    }
    return 0;
}

int mlv_cfg_set(mlv_cfg *c, const char *key, size_t key_len, const char *value, const char *where)
{
    const struct cfg_key *k = find_key(key, key_len);
    struct sockaddr_storage ss;
    socklen_t ss_len;
    uint64_t v;

    for (size_t i = 0; k == NULL && i < sizeof cfg_obsolete / sizeof cfg_obsolete[0]; i++) {
        if (strlen(cfg_obsolete[i]) == key_len && memcmp(cfg_obsolete[i], key, key_len) == 0)
            return 0;
    }
    if (k == NULL) {
        mlv_log_msg("%s: unknown setting '%.*s'; see `malyava-dropbox --help` for the list", where,
                    (int)(key_len > 64 ? 64 : key_len), key);
        return -1;
    }
    switch (k->type) {
    case CFG_LISTEN:
    case CFG_LISTEN_OR_OFF:
        if (k->type == CFG_LISTEN_OR_OFF && strcmp(value, MLV_CFG_LISTEN_OFF) == 0) {
            /* kept as the word itself */
        } else if (strlen(value) >= MLV_CFG_LISTEN_BYTES || mlv_cfg_listen_parse(value, &ss, &ss_len) != 0) {
            mlv_log_msg("%s: %s address '%.64s' is not ADDR:PORT or [IPv6]:PORT (e.g. %s)%s", where, k->name, value,
                        k->type == CFG_LISTEN ? MLV_CFG_DEFAULT_LISTEN : MLV_CFG_DEFAULT_EDITORS_LISTEN,
                        k->type == CFG_LISTEN ? "" : ", or off");
            return -1;
        }
        memcpy((char *)c + k->offset, value, strlen(value) + 1u);
        return 0;
    case CFG_HASH:
        if (strlen(value) != 2u * MLV_CFG_TOKEN_HASH_BYTES ||
            sodium_hex2bin(c->export_token_hash, sizeof c->export_token_hash, value, strlen(value), NULL,
                           NULL, NULL) != 0) {
            mlv_log_msg("%s: export_token_hash must be 64 hex digits as written by init", where);
            return -1;
        }
        c->has_export_token = 1;
        return 0;
    case CFG_COUNT:
    case CFG_BYTES:
    case CFG_SWITCH:
        break;
    }
    if (parse_number(value, k->type == CFG_BYTES, &v) != 0 || v < k->min || v > k->max) {
        mlv_log_msg("%s: %s = '%.64s' is not allowed; use a whole number%s from %llu to %llu", where, k->name,
                    value, k->type == CFG_BYTES ? " of bytes (KiB, MiB, GiB, TiB suffixes work)" : "",
                    (unsigned long long)k->min, (unsigned long long)k->max);
        return -1;
    }
    memcpy((char *)c + k->offset, &v, sizeof v);
    return 0;
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

int mlv_cfg_parse(mlv_cfg *c, const char *text, size_t len, const char *name)
{
    char *copy, *line, *next, where[64];
    size_t lineno = 0;
    int rc = -1;

    if (memchr(text, '\0', len) != NULL) {
        mlv_log_msg("configuration '%s' contains a NUL byte; restore it from `malyava-dropbox init`'s format", name);
        return -1;
    }
    /* Lines are cut in place in a copy, which ends in the NUL the loop
     * relies on. */
    copy = malloc(len + 1u);
    if (copy == NULL) {
        mlv_log_msg("out of memory reading configuration '%s'", name);
        return -1;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    for (line = copy; line != NULL; line = next) {
        char *eq, *kend, *vstart, *vend, *hash;

        lineno++;
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        while (is_space(*line))
            line++;
        if (*line == '\0')
            continue;
        snprintf(where, sizeof where, "%.40s:%zu", name, lineno);
        eq = strchr(line, '=');
        if (eq == NULL) {
            mlv_log_msg("%s: expected \"key = value\"", where);
            goto out;
        }
        for (kend = eq; kend > line && is_space(kend[-1]); kend--)
            ;
        for (vstart = eq + 1; is_space(*vstart); vstart++)
            ;
        for (vend = vstart + strlen(vstart); vend > vstart && is_space(vend[-1]); vend--)
            ;
        *vend = '\0';
        if (mlv_cfg_set(c, line, (size_t)(kend - line), vstart, where) != 0)
            goto out;
    }
    rc = 0;
out:
    free(copy);
    return rc;
}

int mlv_cfg_load(mlv_cfg *c, const char *path)
{
    uint8_t *text = NULL;
    size_t len;
    int rc;

    if (mlv_file_read_small(path, MLV_MAX_SMALL_FILE_BYTES, &text, &len) != 0) {
        mlv_log_msg("cannot read configuration '%s': %s; is this a data directory made by `malyava-dropbox init`?",
                    path, errno == EFBIG ? "file too large" : strerror(errno));
        return -1;
    }
    rc = mlv_cfg_parse(c, (const char *)text, len, strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
    free(text);
    return rc;
}

const char *mlv_cfg_flag_key(const char *flag, size_t flag_len, int *is_switch)
{
    for (size_t i = 0; i < CFG_NKEYS; i++) {
        const char *name = cfg_keys[i].name;
        size_t j;

        if (cfg_keys[i].type == CFG_HASH || strlen(name) != flag_len)
            continue;
        for (j = 0; j < flag_len; j++) {
            if (flag[j] != (name[j] == '_' ? '-' : name[j]))
                break;
        }
        if (j == flag_len) {
            *is_switch = cfg_keys[i].type == CFG_SWITCH;
            return name;
        }
    }
    return NULL;
}

static void format_value(const struct cfg_key *k, const mlv_cfg *c, char *buf, size_t size)
{
    uint64_t v;

    if (k->type == CFG_LISTEN || k->type == CFG_LISTEN_OR_OFF) {
        snprintf(buf, size, "%s", (const char *)c + k->offset);
        return;
    }
    if (k->type == CFG_HASH) {
        if (c->has_export_token)
            sodium_bin2hex(buf, size, c->export_token_hash, sizeof c->export_token_hash);
        else
            buf[0] = '\0';
        return;
    }
    memcpy(&v, (const char *)c + k->offset, sizeof v);
    if (k->type == CFG_BYTES && v != 0) {
        for (size_t i = 0; i < sizeof cfg_units / sizeof cfg_units[0]; i++) {
            if (v % cfg_units[i].mul == 0) {
                snprintf(buf, size, "%llu %s", (unsigned long long)(v / cfg_units[i].mul), cfg_units[i].name);
                return;
            }
        }
    }
    snprintf(buf, size, "%llu", (unsigned long long)v);
}

/* Is this line (without its '\n') an export_token_hash setting? */
static int is_token_line(const char *line, size_t len)
{
    static const char key[] = "export_token_hash";
    size_t i = 0;

    while (i < len && is_space(line[i]))
        i++;
    if (len - i < sizeof key - 1u || memcmp(line + i, key, sizeof key - 1u) != 0)
        return 0;
    for (i += sizeof key - 1u; i < len && is_space(line[i]); i++)
        ;
    return i < len && line[i] == '=';
}

/* A key's help text, each line behind `indent`. */
static void print_help(FILE *out, const char *help, const char *indent)
{
    fputs(indent, out);
    for (; *help != '\0'; help++) {
        fputc(*help, out);
        if (*help == '\n')
            fputs(indent, out);
    }
}

int mlv_cfg_format(const mlv_cfg *c, char **out, size_t *out_len)
{
    char *buf = NULL, value[2u * MLV_CFG_TOKEN_HASH_BYTES + 1u];
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    mlv_cfg defaults;

    *out = NULL;
    if (f == NULL)
        return -1;
    mlv_cfg_defaults(&defaults);
    fputs("# malyava-dropbox configuration: \"key = value\", '#' starts a comment.\n"
          "# Every setting is listed. A flag of the same name with dashes\n"
          "# (--max-disk-bytes 10GiB) overrides one for a single run.\n",
          f);
    for (size_t i = 0; i < CFG_NKEYS; i++) {
        const char *h = cfg_keys[i].help;

        if (cfg_keys[i].type == CFG_HASH && !c->has_export_token)
            continue;
        fputc('\n', f);
        print_help(f, h, "# ");
        if (cfg_keys[i].type != CFG_HASH) {
            format_value(&cfg_keys[i], &defaults, value, sizeof value);
            fprintf(f, "\n# Default: %s.", value);
        }
        format_value(&cfg_keys[i], c, value, sizeof value);
        fprintf(f, "\n%s = %s\n", cfg_keys[i].name, value);
    }
    if (fclose(f) != 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = size;
    return 0;
}

void mlv_cfg_print_flags(FILE *out)
{
    char value[2u * MLV_CFG_TOKEN_HASH_BYTES + 1u];
    mlv_cfg defaults;

    mlv_cfg_defaults(&defaults);
    for (size_t i = 0; i < CFG_NKEYS; i++) {
        const char *h = cfg_keys[i].help;
        char flag[64];
        size_t j;

        if (cfg_keys[i].type == CFG_HASH)
            continue;
        for (j = 0; cfg_keys[i].name[j] != '\0' && j + 1 < sizeof flag; j++)
            flag[j] = cfg_keys[i].name[j] == '_' ? '-' : cfg_keys[i].name[j];
        flag[j] = '\0';
        format_value(&cfg_keys[i], &defaults, value, sizeof value);
        if (cfg_keys[i].type == CFG_SWITCH)
            fprintf(out, "  --%s   (or --%s=0; default %s)\n", flag, flag, value);
        else
            fprintf(out, "  --%s VALUE   (default %s)\n", flag, value);
        print_help(out, h, "      ");
        fputc('\n', out);
    }
}

int mlv_cfg_set_token_hash(const char *text, size_t len, const uint8_t hash[MLV_CFG_TOKEN_HASH_BYTES], char **out,
                           size_t *out_len)
{
    char hex[2u * MLV_CFG_TOKEN_HASH_BYTES + 1u], *buf = NULL;
    size_t size = 0, pos = 0;
    FILE *f = open_memstream(&buf, &size);
    int found = 0, failed;

    *out = NULL;
    if (f == NULL)
        return -1;
    sodium_bin2hex(hex, sizeof hex, hash, MLV_CFG_TOKEN_HASH_BYTES);
    while (pos < len) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl != NULL ? (size_t)(nl - line) : len - pos;

        if (is_token_line(line, line_len)) {
            fprintf(f, "export_token_hash = %s", hex);
            found = 1;
        } else {
            fwrite(line, 1, line_len, f);
        }
        if (nl != NULL)
            fputc('\n', f);
        pos += line_len + (nl != NULL);
    }
    if (!found) {
        const struct cfg_key *k = find_key("export_token_hash", sizeof "export_token_hash" - 1u);

        fputs(len > 0 && text[len - 1] != '\n' ? "\n\n" : "\n", f);
        print_help(f, k->help, "# ");
        fprintf(f, "\nexport_token_hash = %s\n", hex);
    }
    failed = ferror(f);
    if (fclose(f) != 0 || failed) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = size;
    return 0;
}
