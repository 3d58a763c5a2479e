/*
 * Writes an export bundle of N sealed testimonies of about SIZE bytes for
 * bench/vault, exactly as malyava-dropbox export lays one out (FORMAT.md
 * §4.2), and the same texts in clear into a directory for the unencrypted
 * peer. One testimony in every 100 mentions the word the search looks for.
 *
 * usage: mkbundle N SIZE EDITOR.pub BUNDLE PLAINDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>
#include <sqlite3.h>

#include <malyava/keyfile.h>
#include <malyava/payload.h>

typedef struct buf {
    uint8_t *data;
    size_t len, cap;
} buf;

static int buf_write(void *ctx, const uint8_t *p, size_t len)
{
    buf *b = ctx;

    if (b->len + len > b->cap) {
        size_t cap = (b->len + len) * 2u;
        uint8_t *grown = realloc(b->data, cap);
        if (grown == NULL)
            return -1;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, len);
    b->len += len;
    return 0;
}

static const char *const words[] = { "guards", "cell", "night", "beaten", "transfer", "lawyer", "doctor",
                                     "refused", "water", "cold", "window", "letter", "court", "visit" };

int main(int argc, char **argv)
{
    mlv_box_public editor;
    sqlite3 *db = NULL;
    sqlite3_stmt *sub = NULL, *chunk = NULL;
    long n, size;

    if (argc != 6 || (n = atol(argv[1])) <= 0 || (size = atol(argv[2])) <= 0 || sodium_init() < 0) {
        fprintf(stderr, "usage: mkbundle N SIZE EDITOR.pub BUNDLE PLAINDIR\n");
        return 2;
    }
    if (mlv_key_box_public_load(argv[3], &editor, NULL, 0) != MLV_KEY_OK) {
        fprintf(stderr, "mkbundle: cannot read %s\n", argv[3]);
        return 1;
    }
    mkdir(argv[5], 0700);
    if (sqlite3_open(argv[4], &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "PRAGMA journal_mode = OFF; PRAGMA application_id = 1296848450; PRAGMA user_version = 1;"
                     "BEGIN;"
                     "CREATE TABLE bundle_info (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
                     "CREATE TABLE submissions (id TEXT PRIMARY KEY, received_day INTEGER NOT NULL, "
                     "size INTEGER NOT NULL, receipt TEXT NOT NULL, server_sealed INTEGER NOT NULL) STRICT;"
                     "CREATE TABLE chunks (submission TEXT NOT NULL REFERENCES submissions(id), "
                     "seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (submission, seq)) STRICT;"
                     "INSERT INTO bundle_info VALUES ('kind', 'export'), ('format', '1'), ('created_day', '20000');",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO submissions VALUES (?, ?, ?, ?, 0)", -1, &sub, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO chunks VALUES (?, 0, ?)", -1, &chunk, NULL) != SQLITE_OK) {
        fprintf(stderr, "mkbundle: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    for (long i = 0; i < n; i++) {
        char *text = malloc((size_t)size + 64u), id[33], receipt_str[MLV_RECEIPT_STR_BYTES], path[4096];
        char place[32];
        mlv_field field = { "place", place };
        mlv_metadata meta = { .message = text, .nfields = 1, .fields = &field };
        uint8_t rid[16], receipt[MLV_RECEIPT_BYTES];
        mlv_pay_sealer *s = NULL;
        buf out = { 0 };
        size_t len = 0;
        FILE *f;

        while (len < (size_t)size) {
            const char *w = i % 100 == 7 && len == 0 ? "Kopeisk" : words[randombytes_uniform(14)];
            len += (size_t)sprintf(text + len, "%s ", w);
        }
        snprintf(place, sizeof place, "IK-%ld", i % 37);
        if (mlv_pay_seal_new(&s, &editor, 1, 0, &meta, buf_write, &out) != MLV_ENV_OK ||
            mlv_pay_seal_finish(s, receipt) != MLV_ENV_OK)
            return 1;
        mlv_pay_seal_free(s);
        randombytes_buf(rid, sizeof rid);
        sodium_bin2hex(id, sizeof id, rid, sizeof rid);
        mlv_env_receipt_to_string(receipt_str, receipt);
        sqlite3_bind_text(sub, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(sub, 2, 20000 + i / 300);
        sqlite3_bind_int64(sub, 3, (sqlite3_int64)out.len);
        sqlite3_bind_text(sub, 4, receipt_str, -1, SQLITE_STATIC);
        sqlite3_bind_text(chunk, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_blob(chunk, 2, out.data, (int)out.len, SQLITE_STATIC);
        if (sqlite3_step(sub) != SQLITE_DONE || sqlite3_step(chunk) != SQLITE_DONE)
            return 1;
        sqlite3_reset(sub);
        sqlite3_reset(chunk);
        snprintf(path, sizeof path, "%s/%s.txt", argv[5], id);
        if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 || fclose(f) != 0)
            return 1;
        free(out.data);
        free(text);
    }
    sqlite3_finalize(sub);
    sqlite3_finalize(chunk);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK || sqlite3_close(db) != SQLITE_OK)
        return 1;
    return 0;
}
