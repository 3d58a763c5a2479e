/*
 * `malyava import BUNDLE`: export bundles from the server into the vault.
 *
 * The bundle is hostile. db.c refuses it whole unless its identity,
 * schema and every row's shape are right. Then each envelope is read once,
 * chunk by chunk: its header is parsed, its payload authenticated to the
 * FINAL chunk and its metadata record and file digests checked with the
 * vault's keys, its receipt compared, and it is stored in bounded chunks.
 * One that fails is left out and named — a forged upload must not block
 * the others — and stays on the server: the ack file written at the end
 * lists only envelopes this vault has proved it can open. Everything is
 * one transaction: a crash or error leaves the vault as it was, and
 * importing the same bundle again adds nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/manifest.h>
#include <malyava/payload.h>

#include "cli.h"
#include "commands.h"
#include "vault.h"

/* Set by Ctrl-C (or SIGTERM) during an import: it stops and rolls back. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct import_run {
    mlv_vault *v;
    mlv_bundle *bundle;
    char *ack;            /* "malyava-ack 1\n" and a line per envelope proved */
    size_t ack_len, ack_cap;
    size_t added, present, unreadable, refused;
    int failed;           /* a vault or system error: roll everything back */
    uint8_t *chunk;       /* payload waiting to be stored, up to one bundle chunk */
} import_run;

/* One envelope on its way from bundle to vault. */
typedef struct import_env {
    import_run *run;
    const mlv_bundle_sub *sub;
    mlv_pay_opener *opener;   /* the vault's; NULL when no vault key opens it */
    crypto_generichash_state receipt;
    mlv_env_status status;
    mlv_env_status unshowable; /* why the record could not be copied */
    uint8_t header[MLV_ENV_MAX_HEADER_BYTES];
    size_t header_fill, header_len;
    size_t chunk_fill;
    int64_t id, seq;
    uint64_t seen;
} import_env;

static int ack_add(import_run *r, const char *id, const char *receipt)
{
    size_t need = 32u + 1u + MLV_RECEIPT_STR_BYTES + 1u;

    if (r->ack_len + need > r->ack_cap) {
        size_t cap = r->ack_cap * 2u + need + 64u;
        char *grown = realloc(r->ack, cap);
        if (grown == NULL)
            return -1;
        r->ack = grown;
        r->ack_cap = cap;
    }
    r->ack_len += (size_t)snprintf(r->ack + r->ack_len, r->ack_cap - r->ack_len, "%s %s\n", id, receipt);
    return 0;
}

/* Every command shows a record through a copy of it: one that cannot be
 * copied could never be shown, and is not acked. */
static int showable(void *ctx, const mlv_metadata *m)
{
    import_env *e = ctx;
    mlv_metadata copy;

    e->unshowable = mlv_meta_copy(m, &copy);
    mlv_meta_clear(&copy);
    return e->unshowable == MLV_ENV_OK ? 0 : -1;
}

static int ignore_data(void *ctx, size_t index, const uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)index;
    (void)buf;
    (void)len;
    return 0;
}

static int ignore_end(void *ctx, size_t index)
{
    (void)ctx;
    (void)index;
    return 0;
}

/* Authenticates the whole envelope and parses its whole record without
 * keeping a byte of plaintext. */
static const mlv_pay_callbacks check_only = { showable, ignore_data, ignore_end };

static int store_chunk(import_env *e)
{
    if (e->chunk_fill == 0)
        return 0;
    if (mlv_vdb_env_chunk(e->run->v->db, e->id, e->seq++, e->run->chunk, e->chunk_fill) != MLV_VDB_OK) {
        mlv_cli_error("cannot store: %s", mlv_vdb_reason(e->run->v->db));
        e->run->failed = 1;
        return -1;
    }
    e->chunk_fill = 0;
    return 0;
}

/* The header is complete: parse it, find out whether a vault key opens
 * it, and make the envelope's row. */
static int start_envelope(import_env *e)
{
    const mlv_vault *v = e->run->v;
    mlv_vdb_env row;
    mlv_env_header h;
    uint8_t *box = NULL;
    size_t box_len = 0;
    int ret = -1;

    memset(&row, 0, sizeof row);
    e->status = mlv_env_header_parse(e->header, e->header_len, &h);
    if (e->status != MLV_ENV_OK)
        return -1;
    if (mlv_env_total_bytes(h.nrecipients, h.payload_bytes) != e->sub->size) {
        e->status = MLV_ENV_ERR_MALFORMED;
        return -1;
    }
    if (v->nrows > 0) {
        uint8_t key[MLV_ENV_FILE_KEY_BYTES];
        int index;

        e->status = mlv_env_header_open(e->header, e->header_len, (const mlv_box_keypair *const *)v->keys, v->nrows,
                                        key, &index);
        if (e->status == MLV_ENV_OK) {
            if ((e->opener = mlv_vault_opener(v, key, &check_only, e)) == NULL ||
                mlv_vault_seal(v, MLV_VAULT_FILE_KEYS, key, sizeof key, &box, &box_len) != 0)
                e->run->failed = 1;
            else
                e->status = mlv_pay_open_feed(e->opener, e->header, e->header_len);
        } else if (e->status == MLV_ENV_ERR_NOT_FOR_ME) {
            e->status = MLV_ENV_OK;
        }
        sodium_memzero(key, sizeof key);
        if (e->run->failed || e->status != MLV_ENV_OK)
            goto out;
    }
    memcpy(row.upload_id, e->sub->id, sizeof row.upload_id);
    memcpy(row.receipt, e->sub->receipt, sizeof row.receipt);
    row.received_day = e->sub->received_day;
    row.imported_day = mlv_day_today();
    row.size = e->sub->size;
    row.server_sealed = (h.flags & MLV_ENV_FLAG_SERVER_SEALED) != 0;
    row.header = e->header;
    row.header_len = e->header_len;
    row.file_key_box = box;
    row.file_key_box_len = box_len;
    if (mlv_vdb_env_insert(v->db, &row, &e->id) != MLV_VDB_OK) {
        mlv_cli_error("cannot store: %s", mlv_vdb_reason(v->db));
        e->run->failed = 1;
        goto out;
    }
    ret = 0;
out:
    free(box);
    return ret;
}

static int take_chunk(void *ctx, const uint8_t *data, size_t len)
{
    import_env *e = ctx;

    crypto_generichash_update(&e->receipt, data, len);
    e->seen += len;
    while (len > 0) {
        if (e->header_len == 0 || e->header_fill < e->header_len) {
            /* Header bytes: enough to learn its length, then the rest. */
            size_t want = e->header_len != 0 ? e->header_len : MLV_ENV_FIXED_BYTES;
            size_t take = want - e->header_fill < len ? want - e->header_fill : len;
            mlv_env_header h;

            memcpy(e->header + e->header_fill, data, take);
            e->header_fill += take;
            data += take;
            len -= take;
            if (e->header_len == 0 && e->header_fill == MLV_ENV_FIXED_BYTES) {
                e->status = mlv_env_header_parse(e->header, e->header_fill, &h);
                if (e->status != MLV_ENV_NEED_MORE && e->status != MLV_ENV_OK)
                    return 1;
                e->status = MLV_ENV_OK;
                /* Byte 9 is the stanza count; the parser checked it. */
                e->header_len = MLV_ENV_HEADER_BYTES((size_t)e->header[9]);
                if (e->header_len > sizeof e->header) {
                    e->status = MLV_ENV_ERR_MALFORMED;
                    return 1;
                }
            }
            if (e->header_len != 0 && e->header_fill == e->header_len && start_envelope(e) != 0)
                return 1;
            continue;
        }
        size_t room = MLV_BUNDLE_CHUNK_BYTES - e->chunk_fill, take = len < room ? len : room;
        if (e->opener != NULL && (e->status = mlv_pay_open_feed(e->opener, data, take)) != MLV_ENV_OK)
            return 1;
        memcpy(e->run->chunk + e->chunk_fill, data, take);
        e->chunk_fill += take;
        data += take;
        len -= take;
        if (e->chunk_fill == MLV_BUNDLE_CHUNK_BYTES && store_chunk(e) != 0)
            return 1;
    }
    return 0;
}

static void say_refused(import_run *r, const char *id, const char *why)
{
    r->refused++;
    fprintf(stderr, "malyava: left out submission %s: %s; it stays on the server (not in the ack file)\n", id, why);
}

static int import_one(void *ctx, const mlv_bundle_sub *s)
{
    import_run *r = ctx;
    char have[MLV_RECEIPT_STR_BYTES], got_str[MLV_RECEIPT_STR_BYTES];
    uint8_t got[MLV_RECEIPT_BYTES], ignored[MLV_RECEIPT_BYTES];
    import_env e;
    mlv_vdb_status vs;
    int openable = 0;

    if (interrupted)
        return 1;
    vs = mlv_vdb_env_receipt(r->v->db, s->id, have, &openable);
    if (vs == MLV_VDB_OK) {
        if (strcmp(have, s->receipt) != 0) {
            say_refused(r, s->id, "the vault holds a different envelope under this id");
            return 0;
        }
        /* Imported before: ack it again if this vault can open it. */
        r->present++;
        if (openable && ack_add(r, s->id, s->receipt) != 0)
            r->failed = 1;
        return r->failed;
    }
    if (vs != MLV_VDB_NOT_FOUND) {
        mlv_cli_error("cannot read the vault: %s", mlv_vdb_reason(r->v->db));
        return r->failed = 1;
    }
    memset(&e, 0, sizeof e);
    e.run = r;
    e.sub = s;
    crypto_generichash_init(&e.receipt, NULL, 0, MLV_RECEIPT_BYTES);
    if (mlv_vdb_savepoint(r->v->db) != MLV_VDB_OK) {
        mlv_cli_error("cannot write the vault: %s", mlv_vdb_reason(r->v->db));
        return r->failed = 1;
    }
    if (mlv_bundle_chunks(r->bundle, s->id, take_chunk, &e) != MLV_VDB_OK) {
        mlv_cli_error("cannot read the bundle");
        r->failed = 1;
    }
    if (!r->failed && e.status == MLV_ENV_OK && (e.header_len == 0 || e.header_fill < e.header_len || e.seen != s->size))
        e.status = MLV_ENV_ERR_TRUNCATED;
    if (!r->failed && e.status == MLV_ENV_OK)
        store_chunk(&e);
    if (!r->failed && e.status == MLV_ENV_OK && e.opener != NULL)
        e.status = mlv_pay_open_finish(e.opener, ignored);
    crypto_generichash_final(&e.receipt, got, sizeof got);
    mlv_env_receipt_to_string(got_str, got);
    if (!r->failed && e.status == MLV_ENV_OK && strcmp(got_str, s->receipt) != 0)
        e.status = MLV_ENV_ERR_TAMPERED;
    if (e.unshowable != MLV_ENV_OK)
        e.status = e.unshowable;
    if (r->failed || e.status != MLV_ENV_OK) {
        mlv_vdb_rollback_to(r->v->db);
        if (!r->failed)
            say_refused(r, s->id, mlv_env_strerror(e.status));
    } else if (mlv_vdb_release(r->v->db) != MLV_VDB_OK) {
        r->failed = 1;
    } else if (e.opener == NULL) {
        r->unreadable++;
        fprintf(stderr, "malyava: stored submission %s as testimony %lld, but no key of this vault opens it; "
                        "add the editor key it was sealed to (`malyava key add`); not acked\n",
                s->id, (long long)e.id);
    } else {
        r->added++;
        if (ack_add(r, s->id, s->receipt) != 0)
            r->failed = 1;
    }
    return r->failed;
}

static void import_usage(FILE *out)
{
    fprintf(out, "usage: malyava import [--vault V] [--key NAME] [--passphrase-file F] [--ack FILE] "
                 "[--accept-dropbox] BUNDLE\n"
                 "  writes BUNDLE.ack (or --ack FILE) to carry back to the server\n"
                 "  --accept-dropbox  take a bundle from a drop-box other than the vault's own (another\n"
                 "                    organisation key), and from then on take that drop-box's bundles too\n");
}

/*
 * Which drop-box the bundle comes from. A vault takes bundles from the
 * drop-boxes it knows, by their organisation key's fingerprint: the
 * first that names itself is pinned; another is refused unless the
 * editor accepts it. 0: go on (*pin set when the import should note the
 * drop-box), -1 after a message.
 */
static int check_dropbox(mlv_vault *v, mlv_bundle *b, const char *path, int accept, int *pin)
{
    const char *fp = mlv_bundle_dropbox(b);
    size_t count = 0;
    int known = 0;

    *pin = 0;
    if (mlv_vdb_dropbox_known(v->db, fp, &known, &count) != MLV_VDB_OK) {
        mlv_cli_error("cannot read the vault: %s", mlv_vdb_reason(v->db));
        return -1;
    }
    if (known || (count == 0 && fp[0] == '\0'))
        return 0;
    if (count == 0 || accept) {
        *pin = fp[0] != '\0';
        return 0;
    }
    if (fp[0] == '\0')
        mlv_cli_error("refused bundle '%s': it does not say which drop-box it comes from (a server older than this "
                      "malyava, or a file made by hand), and this vault takes bundles from its own drop-box only. "
                      "If you trust it, import it with --accept-dropbox. The vault is unchanged.", path);
    else
        mlv_cli_error("refused bundle '%s': it comes from another drop-box (organisation key %s) than the one this "
                      "vault takes bundles from. If it is yours (your organisation has a new key) or you mean to "
                      "keep its testimonies here, import it with --accept-dropbox: that drop-box is then "
                      "accepted from now on. The vault is unchanged.", path, fp);
    return -1;
}

int mlv_cmd_import(int argc, char **argv)
{
    static const struct option options[] = {
        MLV_VAULT_LONG_OPTIONS,
        { "ack", required_argument, NULL, 'a' },
        { "accept-dropbox", no_argument, NULL, 'D' },
        { NULL, 0, NULL, 0 },
    };
    mlv_vault_args a = { 0 };
    mlv_vault v;
    import_run r;
    char reason[MLV_VDB_REASON_BYTES], ack_path[PATH_MAX];
    const char *ack_opt = NULL, *path;
    struct sigaction sa, old_int, old_term;
    size_t count = 0;
    int c, rc = 1, began = 0, accept = 0, pin = 0, caught = 0;

    memset(&r, 0, sizeof r);
    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &a))
            continue;
        switch (c) {
        case 'a': ack_opt = optarg; break;
        case 'D': accept = 1; break;
        case 'h': import_usage(stdout); return 0;
        default: import_usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc) {
        import_usage(stderr);
        return 2;
    }
    path = argv[optind];
    if ((size_t)snprintf(ack_path, sizeof ack_path, "%s%s", ack_opt != NULL ? ack_opt : path,
                         ack_opt != NULL ? "" : ".ack") >= sizeof ack_path) {
        mlv_cli_error("the ack file path is too long");
        return 2;
    }
    /* The bundle and the ack's place are checked before any passphrase. */
    if (mlv_cli_check_input(path, "the bundle") != 0 ||
        mlv_cli_check_replaceable(ack_path, "the ack file",
                                  ack_opt != NULL ? NULL
                                                  : "give --ack FILE to write the ack file elsewhere (e.g. "
                                                    "--ack ~/export.ack), then carry that file back") != 0)
        return 2;
    memset(&v, 0, sizeof v);
    if (mlv_bundle_open(path, &r.bundle, &count, reason) != MLV_VDB_OK) {
        mlv_cli_error("refused bundle '%s': %s. The vault is unchanged.", path, reason);
        return 1;
    }
    /* Ciphertext only passes through it: no need to lock or wipe it. */
    if ((r.chunk = malloc(MLV_BUNDLE_CHUNK_BYTES)) == NULL || mlv_vault_start(&a, &v, 0) != 0)
        goto out;
    r.v = &v;
    if (check_dropbox(&v, r.bundle, path, accept, &pin) != 0)
        goto out;
    /* Ctrl-C stops the import and leaves the vault as it was, and says
     * so. Not inside the desk: its own signals close it. */
    interrupted = 0;
    if (!v.lent) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_interrupt;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        caught = sigaction(SIGINT, &sa, &old_int) == 0 && sigaction(SIGTERM, &sa, &old_term) == 0;
    }
    if (mlv_vault_unlock_late(&a, &v) != 0 || ack_add(&r, "", "") != 0)
        goto out;
    r.ack_len = (size_t)snprintf(r.ack, r.ack_cap, "malyava-ack 1\n");
    if (mlv_vdb_begin(v.db) != MLV_VDB_OK) {
        mlv_cli_error("cannot write the vault: %s", mlv_vdb_reason(v.db));
        goto out;
    }
    began = 1;
    if (pin && mlv_vdb_dropbox_add(v.db, mlv_bundle_dropbox(r.bundle), mlv_day_today()) != MLV_VDB_OK) {
        mlv_cli_error("cannot write the vault: %s", mlv_vdb_reason(v.db));
        goto out;
    }
    if (interrupted || mlv_bundle_each(r.bundle, import_one, &r) != MLV_VDB_OK || r.failed || interrupted) {
        if (interrupted)
            mlv_cli_error("import interrupted: nothing was imported, the vault is unchanged, no ack file was "
                          "written; run the import again when you are ready");
        else
            mlv_cli_error("import stopped; the vault is unchanged");
        goto out;
    }
    if (mlv_vdb_commit(v.db) != MLV_VDB_OK) {
        mlv_cli_error("cannot save the import: %s; the vault is unchanged", mlv_vdb_reason(v.db));
        goto out;
    }
    began = 0;
    /* After the commit: a lost ack file is rewritten by importing again. */
    if (mlv_file_replace(ack_path, r.ack, r.ack_len) != 0) {
        mlv_cli_error("imported, but cannot write the ack file '%s': %s; import the bundle again to rewrite it",
                      ack_path, strerror(errno));
        goto out;
    }
    printf("imported %zu new, %zu already in the vault, %zu left out, %zu unreadable by this vault's keys (of %zu)\n"
           "ack file: %s (carry it back: malyava-dropbox ack, or POST /api/v1/export/ack)\n",
           r.added, r.present, r.refused, r.unreadable, count, ack_path);
    if (pin)
        printf("this vault now takes bundles from the drop-box of organisation key %s (and refuses others unless "
               "--accept-dropbox)\n", mlv_bundle_dropbox(r.bundle));
    rc = r.refused > 0 ? 1 : 0;
out:
    if (began)
        mlv_vdb_rollback(v.db);
    if (caught) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    mlv_bundle_close(r.bundle);
    free(r.chunk);
    free(r.ack);
    mlv_vault_close(&v);
    return rc;
}
