/* See db.h. The only file of malyava that speaks SQL. */
#include "vdb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include <malyava/bundle.h>
#include <malyava/fileio.h>
#include <malyava/manifest.h>

#include "vdb_int.h"

#define BUSY_MS 5000
#define BUNDLE_MAX_INFO_ROWS 16
_Static_assert(MLV_BUNDLE_EXPORT_APP_ID == 1296848450 && MLV_BUNDLE_REPLIES_APP_ID == 1296848466,
               "the schema texts below spell the ids out");

/* The vault (docs/FORMAT.md §6). Payloads stay sealed exactly as they came;
 * everything the editors add is sealed by vault.c before it gets here. */
static const char vault_schema[] =
    "PRAGMA application_id = 1296848470;"
    "PRAGMA user_version = 1;"
    "CREATE TABLE vault_info (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
    "CREATE TABLE editor_keys ("
    "  key_id BLOB PRIMARY KEY CHECK (length(key_id) = 8),"
    "  name TEXT NOT NULL,"
    "  public_key BLOB NOT NULL CHECK (length(public_key) = 32),"
    "  secret_file BLOB NOT NULL,"
    "  vault_key BLOB NOT NULL CHECK (length(vault_key) = 80),"
    "  secret_box BLOB NOT NULL CHECK (length(secret_box) = 72),"
    "  added_day INTEGER NOT NULL,"
    "  retired_day INTEGER"
    ") STRICT;"
    "CREATE TABLE envelopes ("
    "  id INTEGER PRIMARY KEY,"
    "  upload_id TEXT NOT NULL UNIQUE CHECK (length(upload_id) = 32),"
    "  receipt TEXT NOT NULL,"
    "  received_day INTEGER NOT NULL,"
    "  imported_day INTEGER NOT NULL,"
    "  size INTEGER NOT NULL CHECK (size > 0),"
    "  server_sealed INTEGER NOT NULL CHECK (server_sealed IN (0, 1)),"
    "  header BLOB NOT NULL,"
    "  file_key_box BLOB"
    ") STRICT;"
    "CREATE TABLE payload_chunks ("
    "  envelope INTEGER NOT NULL REFERENCES envelopes(id),"
    "  seq INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  PRIMARY KEY (envelope, seq)"
    ") STRICT;"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  envelope INTEGER NOT NULL REFERENCES envelopes(id),"
    "  day INTEGER NOT NULL,"
    "  box BLOB NOT NULL"
    ") STRICT;"
    "CREATE INDEX events_by_envelope ON events (envelope, id);"
    "CREATE TABLE replies ("
    "  id TEXT PRIMARY KEY CHECK (length(id) = 32),"
    "  envelope INTEGER NOT NULL REFERENCES envelopes(id),"
    "  reply_key TEXT NOT NULL CHECK (length(reply_key) = 64),"
    "  created_day INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  exported_day INTEGER"
    ") STRICT;";

static const char replies_bundle_schema[] =
    "PRAGMA application_id = 1296848466;"
    "PRAGMA user_version = 1;"
    "CREATE TABLE bundle_info (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
    "CREATE TABLE replies (\n"
    "  id TEXT PRIMARY KEY,\n"
    "  reply_key TEXT NOT NULL,\n"
    "  created_day INTEGER NOT NULL,\n"
    "  data BLOB NOT NULL\n"
    ") STRICT;";

struct mlv_bundle {
    sqlite3 *h;
    char dropbox[MLV_FINGERPRINT_STR_BYTES]; /* bundle_info's org_key, or "" */
};

#define set_reason mlv_vdb_i_reason
#define fail mlv_vdb_i_fail
#define prepare mlv_vdb_i_prepare
#define run mlv_vdb_i_run
#define pragma_int mlv_vdb_i_int

void mlv_vdb_i_reason(char *reason, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, MLV_VDB_REASON_BYTES, fmt, ap);
    va_end(ap);
}

const char *mlv_vdb_i_plain(sqlite3 *h)
{
    switch (h != NULL ? sqlite3_errcode(h) & 0xff : SQLITE_NOMEM) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "another program is using the vault (a desk, or another malyava command); close it or wait, then "
               "try again";
    case SQLITE_FULL: return "the disk is full; make room, then try again";
    case SQLITE_READONLY: return "the file or its folder cannot be written (read-only)";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return "the file is damaged, or is not what it should be";
    case SQLITE_IOERR: return "the disk could not be read or written; check the disk";
    case SQLITE_CANTOPEN: return "the file cannot be opened; check the path and that its folder exists";
    case SQLITE_PERM:
    case SQLITE_AUTH: return "permission denied";
    case SQLITE_NOMEM: return "out of memory";
    case SQLITE_TOOBIG: return "an item is larger than the vault takes";
    case SQLITE_CONSTRAINT: return "the change contradicts what the vault holds";
    default: return "the file could not be read or written";
    }
}

mlv_vdb_status mlv_vdb_i_fail(mlv_vdb *db, const char *doing)
{
    set_reason(db->reason, "%s: %s", doing, mlv_vdb_i_plain(db->h));
    return MLV_VDB_ERROR;
}

const char *mlv_vdb_reason(const mlv_vdb *db)
{
    return db->reason;
}

int64_t mlv_vdb_i_int(sqlite3 *h, const char *sql, int *ok)
{
    sqlite3_stmt *st = NULL;
    int64_t v = 0;

    *ok = 0;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        *ok = 1;
    }
    sqlite3_finalize(st);
    return v;
}

static int text_eq(sqlite3_stmt *st, int col, const char *want)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    return t != NULL && strcmp((const char *)t, want) == 0;
}

static void harden(sqlite3 *h)
{
    sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
    sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
    sqlite3_limit(h, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_limit(h, SQLITE_LIMIT_LENGTH, (int)(2u * MLV_BUNDLE_CHUNK_BYTES));
}

/* Settings of every vault connection: deleted rows are zeroed on disk
 * (a wiped triage note leaves no sealed residue to brute-force later),
 * references are enforced, and a second malyava waits instead of failing. */
static mlv_vdb_status vault_connect(const char *path, mlv_vdb **out, char *reason)
{
    mlv_vdb *db = calloc(1, sizeof *db);

    *out = NULL;
    if (db == NULL) {
        set_reason(reason, "out of memory");
        return MLV_VDB_ERROR;
    }
    if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        set_reason(reason, "cannot open '%s': %s", path, mlv_vdb_i_plain(db->h));
        mlv_vdb_close(db);
        return MLV_VDB_ERROR;
    }
    harden(db->h);
    sqlite3_busy_timeout(db->h, BUSY_MS);
    if (sqlite3_exec(db->h, "PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON;", NULL, NULL, NULL) != SQLITE_OK) {
        set_reason(reason, "cannot open '%s': %s", path, mlv_vdb_i_plain(db->h));
        mlv_vdb_close(db);
        return MLV_VDB_ERROR;
    }
    *out = db;
    return MLV_VDB_OK;
}

mlv_vdb_status mlv_vdb_create(const char *path, mlv_vdb **out, char reason[MLV_VDB_REASON_BYTES])
{
    char day[24];
    sqlite3_stmt *st = NULL;
    mlv_vdb_status rc;
    int fd;

    *out = NULL;
    fd = mlv_file_create(path);
    if (fd < 0) {
        set_reason(reason, "cannot create '%s': %s", path,
                   errno == EEXIST ? "it exists; a vault is never overwritten" : strerror(errno));
        return MLV_VDB_ERROR;
    }
    close(fd);
    rc = vault_connect(path, out, reason);
    if (rc != MLV_VDB_OK)
        goto out;
    snprintf(day, sizeof day, "%lld", (long long)mlv_day_today());
    if (sqlite3_exec((*out)->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec((*out)->h, vault_schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2((*out)->h, "INSERT INTO vault_info (key, value) VALUES ('format', '1'), ('created_day', ?)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE ||
        sqlite3_exec((*out)->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        set_reason(reason, "cannot write the new vault: %s", mlv_vdb_i_plain((*out)->h));
        rc = MLV_VDB_ERROR;
    }
out:
    sqlite3_finalize(st);
    if (rc != MLV_VDB_OK) {
        mlv_vdb_close(*out);
        *out = NULL;
        unlink(path);
    }
    return rc;
}

mlv_vdb_status mlv_vdb_open(const char *path, mlv_vdb **out, char reason[MLV_VDB_REASON_BYTES])
{
    struct stat sb;
    mlv_vdb_status rc;
    int64_t version;
    int ok;

    *out = NULL;
    if (lstat(path, &sb) != 0) {
        set_reason(reason, "cannot open vault '%s': %s%s", path, strerror(errno),
                   errno == ENOENT ? "; create one with `malyava init`" : "");
        return MLV_VDB_ERROR;
    }
    if (!S_ISREG(sb.st_mode)) {
        set_reason(reason, "'%s' is not a regular file", path);
        return MLV_VDB_REFUSED;
    }
    rc = vault_connect(path, out, reason);
    if (rc != MLV_VDB_OK)
        return rc;
    if (pragma_int((*out)->h, "PRAGMA application_id", &ok) != MLV_VDB_APP_ID || !ok) {
        /* Unreadable (busy, damaged) is not the same as someone else's file. */
        if (ok)
            set_reason(reason, "'%s' is not a Malyava vault", path);
        else if ((sqlite3_errcode((*out)->h) & 0xff) == SQLITE_NOTADB)
            set_reason(reason, "'%s' is damaged, or is not a Malyava vault; restore the vault from its backup", path);
        else
            set_reason(reason, "cannot open vault '%s': %s", path, mlv_vdb_i_plain((*out)->h));
        rc = ok ? MLV_VDB_REFUSED : MLV_VDB_ERROR;
    } else if ((version = pragma_int((*out)->h, "PRAGMA user_version", &ok)) < MLV_VDB_VERSION_FIRST ||
               version > MLV_VDB_VERSION_DELETES || !ok) {
        set_reason(reason, "vault '%s' has a format version this malyava does not read; use a matching release", path);
        rc = MLV_VDB_REFUSED;
    }
    if (rc != MLV_VDB_OK) {
        mlv_vdb_close(*out);
        *out = NULL;
    }
    return rc;
}

void mlv_vdb_close(mlv_vdb *db)
{
    if (db == NULL)
        return;
    sqlite3_finalize(db->payload);
    sqlite3_close_v2(db->h);
    free(db);
}

mlv_vdb_status mlv_vdb_begin(mlv_vdb *db)
{
    return sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? MLV_VDB_OK
                                                                               : fail(db, "starting to write");
}

mlv_vdb_status mlv_vdb_commit(mlv_vdb *db)
{
    return sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? MLV_VDB_OK : fail(db, "saving the change");
}

void mlv_vdb_rollback(mlv_vdb *db)
{
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

mlv_vdb_status mlv_vdb_savepoint(mlv_vdb *db)
{
    return sqlite3_exec(db->h, "SAVEPOINT step", NULL, NULL, NULL) == SQLITE_OK ? MLV_VDB_OK : fail(db, "writing");
}

mlv_vdb_status mlv_vdb_release(mlv_vdb *db)
{
    return sqlite3_exec(db->h, "RELEASE step", NULL, NULL, NULL) == SQLITE_OK ? MLV_VDB_OK : fail(db, "writing");
}

void mlv_vdb_rollback_to(mlv_vdb *db)
{
    sqlite3_exec(db->h, "ROLLBACK TO step; RELEASE step", NULL, NULL, NULL);
}

sqlite3_stmt *mlv_vdb_i_prepare(mlv_vdb *db, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
        fail(db, "reading the vault");
        return NULL;
    }
    return st;
}

mlv_vdb_status mlv_vdb_i_run(mlv_vdb *db, sqlite3_stmt *st, const char *doing)
{
    mlv_vdb_status rc = sqlite3_step(st) == SQLITE_DONE ? MLV_VDB_OK : fail(db, doing);

    sqlite3_finalize(st);
    return rc;
}

static int copy_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t len)
{
    if (sqlite3_column_type(st, col) != SQLITE_BLOB || (size_t)sqlite3_column_bytes(st, col) != len)
        return -1;
    memcpy(out, sqlite3_column_blob(st, col), len);
    return 0;
}

static int dup_blob(sqlite3_stmt *st, int col, uint8_t **out, size_t *len)
{
    int n = sqlite3_column_bytes(st, col);

    *out = NULL;
    *len = 0;
    if (sqlite3_column_type(st, col) != SQLITE_BLOB)
        return sqlite3_column_type(st, col) == SQLITE_NULL ? 0 : -1;
    *out = malloc(n > 0 ? (size_t)n : 1u);
    if (*out == NULL)
        return -1;
    if (n > 0)
        memcpy(*out, sqlite3_column_blob(st, col), (size_t)n);
    *len = (size_t)n;
    return 0;
}

static void copy_text(sqlite3_stmt *st, int col, char *out, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    snprintf(out, size, "%s", t != NULL ? (const char *)t : "");
}

/* ---- editor keys ---------------------------------------------------------- */

mlv_vdb_status mlv_vdb_key_add(mlv_vdb *db, const mlv_vdb_key *k)
{
    sqlite3_stmt *st = prepare(db, "INSERT INTO editor_keys (key_id, name, public_key, secret_file, vault_key, "
                                   "secret_box, added_day, retired_day) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)");

    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_blob(st, 1, k->id, sizeof k->id, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, k->name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, k->pk, sizeof k->pk, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, k->secret_file, sizeof k->secret_file, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, k->vault_key, sizeof k->vault_key, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, k->secret_box, sizeof k->secret_box, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, k->added_day);
    return run(db, st, "adding a key");
}

mlv_vdb_status mlv_vdb_keys(mlv_vdb *db, mlv_vdb_key **out, size_t *n)
{
    sqlite3_stmt *st = prepare(db, "SELECT key_id, name, public_key, secret_file, vault_key, secret_box, added_day, "
                                   "retired_day FROM editor_keys ORDER BY added_day, rowid");
    mlv_vdb_key *list = NULL;
    size_t count = 0;
    mlv_vdb_status rc = MLV_VDB_ERROR;
    int step;

    *out = NULL;
    *n = 0;
    if (st == NULL)
        return MLV_VDB_ERROR;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        mlv_vdb_key *grown = realloc(list, (count + 1u) * sizeof *list), *k;

        if (grown == NULL)
            goto out;
        list = grown;
        k = &list[count];
        memset(k, 0, sizeof *k);
        if (copy_blob(st, 0, k->id, sizeof k->id) != 0 || copy_blob(st, 2, k->pk, sizeof k->pk) != 0 ||
            copy_blob(st, 3, k->secret_file, sizeof k->secret_file) != 0 ||
            copy_blob(st, 4, k->vault_key, sizeof k->vault_key) != 0 ||
            copy_blob(st, 5, k->secret_box, sizeof k->secret_box) != 0) {
            set_reason(db->reason, "the vault's keys are damaged");
            goto out;
        }
        copy_text(st, 1, k->name, sizeof k->name);
        k->added_day = sqlite3_column_int64(st, 6);
        k->retired_day = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 7);
        count++;
    }
    if (step != SQLITE_DONE) {
        fail(db, "reading keys");
        goto out;
    }
    *out = list;
    *n = count;
    list = NULL;
    rc = MLV_VDB_OK;
out:
    sqlite3_finalize(st);
    free(list);
    return rc;
}

mlv_vdb_status mlv_vdb_key_retire(mlv_vdb *db, const uint8_t id[MLV_KEY_ID_BYTES], int64_t day)
{
    sqlite3_stmt *st = prepare(db, "UPDATE editor_keys SET retired_day = ? WHERE key_id = ? AND retired_day IS NULL");
    mlv_vdb_status rc;

    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_int64(st, 1, day);
    sqlite3_bind_blob(st, 2, id, MLV_KEY_ID_BYTES, SQLITE_STATIC);
    rc = run(db, st, "retiring a key");
    if (rc == MLV_VDB_OK && sqlite3_changes(db->h) != 1)
        rc = MLV_VDB_NOT_FOUND;
    return rc;
}

/* ---- envelopes ------------------------------------------------------------ */

void mlv_vdb_env_clear(mlv_vdb_env *e)
{
    free(e->header);
    free(e->file_key_box);
    memset(e, 0, sizeof *e);
}

mlv_vdb_status mlv_vdb_env_insert(mlv_vdb *db, const mlv_vdb_env *e, int64_t *id)
{
    sqlite3_stmt *st = prepare(db, "INSERT INTO envelopes (upload_id, receipt, received_day, imported_day, size, "
                                   "server_sealed, header, file_key_box) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    mlv_vdb_status rc;

    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_text(st, 1, e->upload_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, e->receipt, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, e->received_day);
    sqlite3_bind_int64(st, 4, e->imported_day);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)e->size);
    sqlite3_bind_int(st, 6, e->server_sealed);
    sqlite3_bind_blob(st, 7, e->header, (int)e->header_len, SQLITE_STATIC);
    if (e->file_key_box != NULL)
        sqlite3_bind_blob(st, 8, e->file_key_box, (int)e->file_key_box_len, SQLITE_STATIC);
    rc = run(db, st, "storing an envelope");
    if (rc == MLV_VDB_OK)
        *id = sqlite3_last_insert_rowid(db->h);
    return rc;
}

mlv_vdb_status mlv_vdb_env_chunk(mlv_vdb *db, int64_t id, int64_t seq, const uint8_t *data, size_t len)
{
    sqlite3_stmt *st = prepare(db, "INSERT INTO payload_chunks (envelope, seq, data) VALUES (?, ?, ?)");

    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_blob(st, 3, data, (int)len, SQLITE_STATIC);
    return run(db, st, "storing an envelope's payload");
}

mlv_vdb_status mlv_vdb_env_receipt(mlv_vdb *db, const char *upload_id, char receipt[MLV_RECEIPT_STR_BYTES],
                                   int *openable)
{
    sqlite3_stmt *st = prepare(db, "SELECT receipt, file_key_box IS NOT NULL FROM envelopes WHERE upload_id = ?");
    mlv_vdb_status rc = MLV_VDB_NOT_FOUND;
    int step;

    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_text(st, 1, upload_id, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        copy_text(st, 0, receipt, MLV_RECEIPT_STR_BYTES);
        *openable = sqlite3_column_int(st, 1);
        rc = MLV_VDB_OK;
    } else if (step != SQLITE_DONE) {
        rc = fail(db, "looking up an upload");
    }
    sqlite3_finalize(st);
    return rc;
}

#define ENV_COLUMNS "id, upload_id, receipt, received_day, imported_day, size, server_sealed, header, file_key_box"

static int env_from_row(sqlite3_stmt *st, mlv_vdb_env *e)
{
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(st, 0);
    copy_text(st, 1, e->upload_id, sizeof e->upload_id);
    copy_text(st, 2, e->receipt, sizeof e->receipt);
    e->received_day = sqlite3_column_int64(st, 3);
    e->imported_day = sqlite3_column_int64(st, 4);
    e->size = (uint64_t)sqlite3_column_int64(st, 5);
    e->server_sealed = sqlite3_column_int(st, 6);
    if (dup_blob(st, 7, &e->header, &e->header_len) != 0 || e->header == NULL ||
        dup_blob(st, 8, &e->file_key_box, &e->file_key_box_len) != 0) {
        mlv_vdb_env_clear(e);
        return -1;
    }
    e->deleted = e->header_len == 0;
    return 0;
}

mlv_vdb_status mlv_vdb_env_get(mlv_vdb *db, int64_t id, mlv_vdb_env *out)
{
    sqlite3_stmt *st = prepare(db, "SELECT " ENV_COLUMNS " FROM envelopes WHERE id = ?");
    mlv_vdb_status rc = MLV_VDB_NOT_FOUND;
    int step;

    memset(out, 0, sizeof *out);
    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_int64(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = env_from_row(st, out) == 0 ? MLV_VDB_OK : fail(db, "reading an envelope");
    else if (step != SQLITE_DONE)
        rc = fail(db, "reading an envelope");
    sqlite3_finalize(st);
    return rc;
}

int64_t mlv_vdb_env_max_id(mlv_vdb *db)
{
    int ok;
    int64_t id = pragma_int(db->h, "SELECT COALESCE(MAX(id), 0) FROM envelopes", &ok);

    if (!ok)
        fail(db, "reading envelopes");
    return ok ? id : -1;
}

int64_t mlv_vdb_count(mlv_vdb *db, mlv_vdb_counter what)
{
    static const char *const sql[] = {
        [MLV_VDB_COUNT_CHANGES] = "PRAGMA data_version",
        [MLV_VDB_COUNT_REPLIES_WAITING] = "SELECT COUNT(*) FROM replies WHERE exported_day IS NULL",
    };
    int ok;
    int64_t n = pragma_int(db->h, sql[what], &ok);

    if (!ok)
        fail(db, "counting");
    return ok ? n : -1;
}

mlv_vdb_status mlv_vdb_env_each(mlv_vdb *db, int (*fn)(void *ctx, const mlv_vdb_env *e), void *ctx)
{
    /* A deleted testimony keeps its row with an empty header: not listed. */
    sqlite3_stmt *st = prepare(db, "SELECT " ENV_COLUMNS " FROM envelopes WHERE length(header) > 0 ORDER BY id");
    mlv_vdb_status rc = MLV_VDB_OK;
    int step;

    if (st == NULL)
        return MLV_VDB_ERROR;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        mlv_vdb_env e;
        int stop;

        if (env_from_row(st, &e) != 0) {
            rc = fail(db, "reading an envelope");
            break;
        }
        stop = fn(ctx, &e);
        mlv_vdb_env_clear(&e);
        if (stop)
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = fail(db, "reading envelopes");
    sqlite3_finalize(st);
    return rc;
}

mlv_vdb_status mlv_vdb_env_update_keys(mlv_vdb *db, int64_t id, const uint8_t *header, size_t header_len,
                                       const uint8_t *file_key_box, size_t file_key_box_len)
{
    sqlite3_stmt *st = prepare(db, "UPDATE envelopes SET header = ?, file_key_box = ? WHERE id = ?");

    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_blob(st, 1, header, (int)header_len, SQLITE_STATIC);
    if (file_key_box != NULL)
        sqlite3_bind_blob(st, 2, file_key_box, (int)file_key_box_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, id);
    return run(db, st, "updating an envelope's keys");
}

/* Rows of blobs in order, handed to `fn` without copying; `st` is reset,
 * not finalized, so a cached statement can run again. */
static mlv_vdb_status blobs_each(sqlite3 *h, sqlite3_stmt *st, int (*fn)(void *ctx, const uint8_t *data, size_t len),
                                 void *ctx, char *reason)
{
    mlv_vdb_status rc = MLV_VDB_OK;
    int step;

    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const void *data = sqlite3_column_blob(st, 0);
        int len = sqlite3_column_bytes(st, 0);

        if (sqlite3_column_type(st, 0) != SQLITE_BLOB || data == NULL || len <= 0 ||
            (size_t)len > MLV_BUNDLE_CHUNK_BYTES) {
            set_reason(reason, "a stored piece of an envelope is not 1 to %u bytes", MLV_BUNDLE_CHUNK_BYTES);
            rc = MLV_VDB_REFUSED;
            break;
        }
        if (fn(ctx, data, (size_t)len) != 0)
            break;
    }
    if (rc == MLV_VDB_OK && step != SQLITE_ROW && step != SQLITE_DONE) {
        set_reason(reason, "reading an envelope: %s", mlv_vdb_i_plain(h));
        rc = MLV_VDB_ERROR;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

mlv_vdb_status mlv_vdb_env_payload(mlv_vdb *db, int64_t id, int (*fn)(void *ctx, const uint8_t *data, size_t len),
                                   void *ctx)
{
    if (db->payload == NULL &&
        (db->payload = prepare(db, "SELECT data FROM payload_chunks WHERE envelope = ? ORDER BY seq")) == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_int64(db->payload, 1, id);
    return blobs_each(db->h, db->payload, fn, ctx, db->reason);
}

/* ---- triage events -------------------------------------------------------- */

mlv_vdb_status mlv_vdb_event_add(mlv_vdb *db, int64_t envelope, int64_t day, const uint8_t *box, size_t len)
{
    sqlite3_stmt *st = prepare(db, "INSERT INTO events (envelope, day, box) VALUES (?, ?, ?)");

    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_int64(st, 1, envelope);
    sqlite3_bind_int64(st, 2, day);
    sqlite3_bind_blob(st, 3, box, (int)len, SQLITE_STATIC);
    return run(db, st, "storing a triage event");
}

mlv_vdb_status mlv_vdb_event_each(mlv_vdb *db, int64_t envelope, int (*fn)(void *ctx, const mlv_vdb_event *ev),
                                  void *ctx)
{
    sqlite3_stmt *st = prepare(db, envelope > 0 ? "SELECT id, envelope, day, box FROM events WHERE envelope = ? ORDER BY id"
                                                : "SELECT id, envelope, day, box FROM events ORDER BY envelope, id");
    mlv_vdb_status rc = MLV_VDB_OK;
    int step;

    if (st == NULL)
        return MLV_VDB_ERROR;
    if (envelope > 0)
        sqlite3_bind_int64(st, 1, envelope);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        mlv_vdb_event ev = {
            .id = sqlite3_column_int64(st, 0),
            .envelope = sqlite3_column_int64(st, 1),
            .day = sqlite3_column_int64(st, 2),
            .box = sqlite3_column_blob(st, 3),
            .box_len = (size_t)sqlite3_column_bytes(st, 3),
        };
        if (fn(ctx, &ev) != 0)
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = fail(db, "reading triage events");
    sqlite3_finalize(st);
    return rc;
}

/* ---- replies -------------------------------------------------------------- */

mlv_vdb_status mlv_vdb_reply_add(mlv_vdb *db, const char id[MLV_VDB_UPLOAD_ID_BYTES], int64_t envelope,
                                 const char *reply_key_hex, int64_t day, const uint8_t *data, size_t len)
{
    sqlite3_stmt *st = prepare(db, "INSERT INTO replies (id, envelope, reply_key, created_day, data) "
                                   "VALUES (?, ?, ?, ?, ?)");

    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, envelope);
    sqlite3_bind_text(st, 3, reply_key_hex, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, day);
    sqlite3_bind_blob(st, 5, data, (int)len, SQLITE_STATIC);
    return run(db, st, "storing a reply");
}

/*
 * The bundle is written under a temporary name next to `path` and renamed
 * into place after it is complete and synced; the vault marks the replies
 * exported in the same transaction, committed only after the rename. A
 * crash leaves either no bundle and nothing marked, or both.
 */
mlv_vdb_status mlv_vdb_replies_export(mlv_vdb *db, const char *path, int64_t day, mlv_vdb_reply_filter keep,
                                      void *keep_ctx, size_t *count)
{
    char tmp[PATH_MAX], daytext[24];
    sqlite3 *out = NULL;
    sqlite3_stmt *sel = NULL, *ins = NULL, *mark = NULL;
    mlv_vdb_status rc = MLV_VDB_ERROR;
    int fd = -1, step, began = 0, tmp_made = 0;

    *count = 0;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.partial", path) >= sizeof tmp) {
        set_reason(db->reason, "the output path is too long");
        return MLV_VDB_ERROR;
    }
    if (access(path, F_OK) == 0) {
        set_reason(db->reason, "'%s' exists; choose a new file name", path);
        return MLV_VDB_ERROR;
    }
    fd = mlv_file_create(tmp);
    if (fd < 0) {
        set_reason(db->reason, "cannot create '%s': %s", tmp, strerror(errno));
        return MLV_VDB_ERROR;
    }
    close(fd);
    tmp_made = 1;
    if (sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        set_reason(db->reason, "cannot write '%s': %s", tmp, mlv_vdb_i_plain(out));
        goto out;
    }
    snprintf(daytext, sizeof daytext, "%lld", (long long)day);
    if (sqlite3_exec(out, "PRAGMA journal_mode = OFF; BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(out, replies_bundle_schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(out, "INSERT INTO bundle_info (key, value) VALUES ('kind', 'replies'), ('format', '1')", NULL,
                     NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(out, "INSERT INTO bundle_info (key, value) VALUES ('created_day', ?)", -1, &ins, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(ins, 1, daytext, -1, SQLITE_STATIC) != SQLITE_OK || sqlite3_step(ins) != SQLITE_DONE) {
        set_reason(db->reason, "writing '%s': %s", tmp, mlv_vdb_i_plain(out));
        goto out;
    }
    sqlite3_finalize(ins);
    ins = NULL;
    if (mlv_vdb_begin(db) != MLV_VDB_OK)
        goto out;
    began = 1;
    sel = prepare(db, "SELECT id, reply_key, created_day, data, envelope FROM replies WHERE exported_day IS NULL "
                      "ORDER BY id");
    mark = prepare(db, "UPDATE replies SET exported_day = ? WHERE id = ?");
    if (sel == NULL || mark == NULL ||
        sqlite3_prepare_v2(out, "INSERT INTO replies (id, reply_key, created_day, data) VALUES (?, ?, ?, ?)", -1,
                           &ins, NULL) != SQLITE_OK)
        goto out;
    while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(sel, 0);
        const uint8_t *data = sqlite3_column_blob(sel, 3);

        /* What is left out stays waiting, unmarked, for the caller to name. */
        if (id == NULL || !keep(keep_ctx, id, sqlite3_column_int64(sel, 4), data, (size_t)sqlite3_column_bytes(sel, 3)))
            continue;
        for (int c = 0; c < 4; c++)
            sqlite3_bind_value(ins, c + 1, sqlite3_column_value(sel, c));
        sqlite3_bind_int64(mark, 1, day);
        sqlite3_bind_value(mark, 2, sqlite3_column_value(sel, 0));
        if (sqlite3_step(ins) != SQLITE_DONE) {
            set_reason(db->reason, "writing '%s': %s", tmp, mlv_vdb_i_plain(out));
            goto out;
        }
        if (sqlite3_step(mark) != SQLITE_DONE) {
            fail(db, "marking replies exported");
            goto out;
        }
        sqlite3_reset(ins);
        sqlite3_reset(mark);
        (*count)++;
    }
    if (step != SQLITE_DONE) {
        fail(db, "reading replies");
        goto out;
    }
    sqlite3_finalize(ins);
    ins = NULL;
    if (sqlite3_exec(out, "COMMIT", NULL, NULL, NULL) != SQLITE_OK || sqlite3_close(out) != SQLITE_OK) {
        set_reason(db->reason, "finishing '%s'", tmp);
        goto out;
    }
    out = NULL;
    fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0 || link(tmp, path) != 0 || mlv_file_sync_parent(path) != 0) {
        set_reason(db->reason, "cannot put the bundle at '%s': %s", path, strerror(errno));
        goto out;
    }
    if (mlv_vdb_commit(db) != MLV_VDB_OK) {
        unlink(path);
        goto out;
    }
    began = 0;
    rc = MLV_VDB_OK;
out:
    if (fd >= 0)
        close(fd);
    sqlite3_finalize(sel);
    sqlite3_finalize(mark);
    sqlite3_finalize(ins);
    sqlite3_close(out);
    if (began)
        mlv_vdb_rollback(db);
    if (tmp_made)
        unlink(tmp);
    return rc;
}

/* ---- export bundles --------------------------------------------------------- */

typedef struct expect_col {
    const char *table, *name, *type;
    int notnull, pk;
} expect_col;

/* docs/FORMAT.md §4.2, column by column: independent of how the writer
 * spaced its SQL. */
static const expect_col export_cols[] = {
    { "bundle_info", "key", "TEXT", 1, 1 },
    { "bundle_info", "value", "TEXT", 1, 0 },
    { "chunks", "submission", "TEXT", 1, 1 },
    { "chunks", "seq", "INTEGER", 1, 2 },
    { "chunks", "data", "BLOB", 1, 0 },
    { "submissions", "id", "TEXT", 1, 1 },
    { "submissions", "received_day", "INTEGER", 1, 0 },
    { "submissions", "size", "INTEGER", 1, 0 },
    { "submissions", "receipt", "TEXT", 1, 0 },
    { "submissions", "server_sealed", "INTEGER", 1, 0 },
};

/* sqlite_schema in name order: three tables and their key indexes, no
 * views, triggers or anything else. */
static const char *const export_objects[][3] = {
    { "table", "bundle_info", "bundle_info" },
    { "table", "chunks", "chunks" },
    { "index", "sqlite_autoindex_bundle_info_1", "bundle_info" },
    { "index", "sqlite_autoindex_chunks_1", "chunks" },
    { "index", "sqlite_autoindex_submissions_1", "submissions" },
    { "table", "submissions", "submissions" },
};

#define NCOLS (sizeof export_cols / sizeof export_cols[0])
#define NOBJECTS (sizeof export_objects / sizeof export_objects[0])

static mlv_vdb_status check_shape(sqlite3 *b, char *reason)
{
    sqlite3_stmt *st = NULL;
    size_t i = 0;
    int step, ok;

    if (sqlite3_prepare_v2(b, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW ||
        !text_eq(st, 0, "ok") || sqlite3_step(st) != SQLITE_DONE) {
        set_reason(reason, "it is damaged, or not a bundle at all (%s); copy it from the server again", mlv_vdb_i_plain(b));
        goto refused;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (pragma_int(b, "PRAGMA application_id", &ok) != MLV_BUNDLE_EXPORT_APP_ID || !ok) {
        set_reason(reason, "it is not a Malyava export bundle (another kind of file)");
        goto refused;
    }
    if (pragma_int(b, "PRAGMA user_version", &ok) != MLV_BUNDLE_VERSION || !ok) {
        set_reason(reason, "its format version is not %d; use a malyava that matches the server", MLV_BUNDLE_VERSION);
        goto refused;
    }
    if (sqlite3_prepare_v2(b, "SELECT type, name, tbl_name FROM sqlite_schema ORDER BY name", -1, &st, NULL) !=
        SQLITE_OK)
        goto schema;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (i == NOBJECTS || !text_eq(st, 0, export_objects[i][0]) || !text_eq(st, 1, export_objects[i][1]) ||
            !text_eq(st, 2, export_objects[i][2]))
            goto schema;
        i++;
    }
    if (step != SQLITE_DONE || i != NOBJECTS)
        goto schema;
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(b, "SELECT m.name, c.name, c.type, c.\"notnull\", c.pk, c.dflt_value IS NULL, c.hidden, "
                              "t.strict FROM sqlite_schema AS m, pragma_table_xinfo(m.name) AS c, "
                              "pragma_table_list(m.name) AS t WHERE m.type = 'table' ORDER BY m.name, c.cid",
                           -1, &st, NULL) != SQLITE_OK)
        goto schema;
    for (i = 0; (step = sqlite3_step(st)) == SQLITE_ROW; i++) {
        const expect_col *c = &export_cols[i];
        if (i == NCOLS || !text_eq(st, 0, c->table) || !text_eq(st, 1, c->name) || !text_eq(st, 2, c->type) ||
            sqlite3_column_int(st, 3) != c->notnull || sqlite3_column_int(st, 4) != c->pk ||
            sqlite3_column_int(st, 5) != 1 || sqlite3_column_int(st, 6) != 0 || sqlite3_column_int(st, 7) != 1)
            goto schema;
    }
    if (step != SQLITE_DONE || i != NCOLS)
        goto schema;
    sqlite3_finalize(st);
    return MLV_VDB_OK;
schema:
    set_reason(reason, "its layout is not that of an export bundle, format %d: made by another program, or altered", MLV_BUNDLE_VERSION);
refused:
    sqlite3_finalize(st);
    return MLV_VDB_REFUSED;
}

static int lower_hex(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

/* Groups of four lowercase hex digits parted by `sep`, `len` in all: a
 * receipt ("xxxx-xxxx-…", mlv_env_receipt_to_string) or a key
 * fingerprint ("xxxx xxxx …", mlv_keyid_fingerprint). */
static int grouped_hex(const unsigned char *s, size_t len, size_t want, char sep)
{
    if (s == NULL || len != want)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (i % 5u == 4u ? s[i] != sep : !lower_hex(s + i, 1))
            return 0;
    }
    return 1;
}

/*
 * Every row, before any envelope is read: bundle_info says export, format
 * 1, and which drop-box wrote it if it says so at all; each submission's
 * fields are well-formed; the chunks of each add up to its size in seq
 * 0, 1, 2, … with none over the bound and none orphaned.
 */
static mlv_vdb_status check_rows(sqlite3 *b, size_t *count, char dropbox[MLV_FINGERPRINT_STR_BYTES], char *reason)
{
    sqlite3_stmt *st = NULL;
    int64_t n;
    int step, ok, kind = 0;

    n = pragma_int(b, "SELECT COUNT(*) FROM bundle_info", &ok);
    if (!ok || n > BUNDLE_MAX_INFO_ROWS) {
        set_reason(reason, "its description is unreadable or too long");
        goto refused;
    }
    if (sqlite3_prepare_v2(b, "SELECT key, value FROM bundle_info", -1, &st, NULL) != SQLITE_OK)
        goto unreadable;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (text_eq(st, 0, "kind"))
            kind = text_eq(st, 1, "export") && kind == 0 ? 1 : -1;
        else if (text_eq(st, 0, "format") && !text_eq(st, 1, "1"))
            kind = -1;
        else if (text_eq(st, 0, "org_key")) {
            if (!grouped_hex(sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                             MLV_FINGERPRINT_STR_BYTES - 1u, ' ')) {
                set_reason(reason, "it names its drop-box with something that is not a key fingerprint");
                goto refused;
            }
            copy_text(st, 1, dropbox, MLV_FINGERPRINT_STR_BYTES);
        }
    }
    if (step != SQLITE_DONE)
        goto unreadable;
    if (kind != 1) {
        set_reason(reason, "its description does not say export bundle, format 1 (a replies bundle, or another file?)");
        goto refused;
    }
    sqlite3_finalize(st);
    st = NULL;
    n = pragma_int(b, "SELECT COUNT(*) FROM submissions NOT INDEXED", &ok);
    if (!ok || n < 0 || n > (int64_t)MLV_BUNDLE_MAX_SUBMISSIONS) {
        set_reason(reason, "it holds more than %u submissions", MLV_BUNDLE_MAX_SUBMISSIONS);
        goto refused;
    }
    *count = (size_t)n;
    if (pragma_int(b, "SELECT COUNT(*) FROM chunks WHERE submission NOT IN (SELECT id FROM submissions)", &ok) != 0 ||
        !ok) {
        set_reason(reason, "it holds pieces of no submission");
        goto refused;
    }
    if (sqlite3_prepare_v2(b,
                           "SELECT s.id, s.received_day, s.size, s.receipt, s.server_sealed, "
                           "(SELECT COUNT(*) FROM chunks c WHERE c.submission = s.id), "
                           "(SELECT MIN(seq) FROM chunks c WHERE c.submission = s.id), "
                           "(SELECT MAX(seq) FROM chunks c WHERE c.submission = s.id), "
                           "(SELECT TOTAL(length(data)) FROM chunks c WHERE c.submission = s.id), "
                           "(SELECT MAX(length(data)) FROM chunks c WHERE c.submission = s.id), "
                           "(SELECT MIN(length(data)) FROM chunks c WHERE c.submission = s.id) "
                           "FROM submissions s",
                           -1, &st, NULL) != SQLITE_OK)
        goto unreadable;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(st, 0), *receipt = sqlite3_column_text(st, 3);
        size_t id_len = (size_t)sqlite3_column_bytes(st, 0);
        int64_t day = sqlite3_column_int64(st, 1), size = sqlite3_column_int64(st, 2);
        int64_t nchunks = sqlite3_column_int64(st, 5), maxseq = sqlite3_column_int64(st, 7);
        double total = sqlite3_column_double(st, 8);

        if (id == NULL || id_len != 32u || !lower_hex(id, id_len)) {
            set_reason(reason, "a submission id is not 32 lowercase hex digits");
            goto refused;
        }
        if (day < 0 || day > MLV_DAY_MAX || size < (int64_t)MLV_ENV_HEADER_BYTES(1) ||
            (uint64_t)size > MLV_MAX_PAYLOAD_BYTES + MLV_MAX_PAYLOAD_BYTES / 64u ||
            !grouped_hex(receipt, (size_t)sqlite3_column_bytes(st, 3), MLV_RECEIPT_STR_BYTES - 1u, '-') ||
            (sqlite3_column_int(st, 4) & ~1) != 0) {
            set_reason(reason, "submission %s has an impossible day, size, receipt or flag", (const char *)id);
            goto refused;
        }
        if (nchunks < 1 || sqlite3_column_int64(st, 6) != 0 || maxseq != nchunks - 1 || total != (double)size ||
            sqlite3_column_int64(st, 9) > (int64_t)MLV_BUNDLE_CHUNK_BYTES || sqlite3_column_int64(st, 10) < 1) {
            set_reason(reason, "submission %s: its chunks do not add up to its size in order, or one is over %u bytes",
                       (const char *)id, MLV_BUNDLE_CHUNK_BYTES);
            goto refused;
        }
    }
    if (step != SQLITE_DONE)
        goto unreadable;
    sqlite3_finalize(st);
    return MLV_VDB_OK;
unreadable:
    set_reason(reason, "its contents cannot be read (%s)", mlv_vdb_i_plain(b));
refused:
    sqlite3_finalize(st);
    return MLV_VDB_REFUSED;
}

mlv_vdb_status mlv_bundle_open(const char *path, mlv_bundle **out, size_t *count, char reason[MLV_VDB_REASON_BYTES])
{
    mlv_bundle *b = NULL;
    struct stat sb;
    char *uri = NULL;
    mlv_vdb_status rc = MLV_VDB_REFUSED;

    *out = NULL;
    *count = 0;
    if (lstat(path, &sb) != 0) {
        set_reason(reason, "cannot read it: %s", strerror(errno));
        return MLV_VDB_ERROR;
    }
    if (!S_ISREG(sb.st_mode)) {
        set_reason(reason, "it is not a regular file");
        return MLV_VDB_REFUSED;
    }
    b = calloc(1, sizeof *b);
    uri = mlv_file_immutable_uri(path);
    if (b == NULL || uri == NULL) {
        set_reason(reason, "out of memory");
        rc = MLV_VDB_ERROR;
        goto out;
    }
    if (sqlite3_open_v2(uri, &b->h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW, NULL) !=
        SQLITE_OK) {
        set_reason(reason, "it cannot be opened (%s)", mlv_vdb_i_plain(b->h));
        goto out;
    }
    harden(b->h);
    rc = check_shape(b->h, reason);
    if (rc == MLV_VDB_OK)
        rc = check_rows(b->h, count, b->dropbox, reason);
out:
    free(uri);
    if (rc != MLV_VDB_OK) {
        mlv_bundle_close(b);
        return rc;
    }
    *out = b;
    return MLV_VDB_OK;
}

const char *mlv_bundle_dropbox(const mlv_bundle *b)
{
    return b->dropbox;
}

void mlv_bundle_close(mlv_bundle *b)
{
    if (b == NULL)
        return;
    sqlite3_close_v2(b->h);
    free(b);
}

mlv_vdb_status mlv_bundle_each(mlv_bundle *b, int (*fn)(void *ctx, const mlv_bundle_sub *s), void *ctx)
{
    sqlite3_stmt *st = NULL;
    mlv_vdb_status rc = MLV_VDB_OK;
    int step;

    if (sqlite3_prepare_v2(b->h, "SELECT id, received_day, size, receipt, server_sealed FROM submissions "
                                 "ORDER BY received_day, id", -1, &st, NULL) != SQLITE_OK)
        return MLV_VDB_ERROR;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        mlv_bundle_sub s;

        memset(&s, 0, sizeof s);
        copy_text(st, 0, s.id, sizeof s.id);
        s.received_day = sqlite3_column_int64(st, 1);
        s.size = (uint64_t)sqlite3_column_int64(st, 2);
        copy_text(st, 3, s.receipt, sizeof s.receipt);
        s.server_sealed = sqlite3_column_int(st, 4);
        if (fn(ctx, &s) != 0)
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = MLV_VDB_ERROR;
    sqlite3_finalize(st);
    return rc;
}

mlv_vdb_status mlv_bundle_chunks(mlv_bundle *b, const char *id, int (*fn)(void *ctx, const uint8_t *data, size_t len),
                                 void *ctx)
{
    char reason[MLV_VDB_REASON_BYTES];
    sqlite3_stmt *st = NULL;

    mlv_vdb_status rc;

    if (sqlite3_prepare_v2(b->h, "SELECT data FROM chunks WHERE submission = ? ORDER BY seq", -1, &st, NULL) !=
        SQLITE_OK)
        return MLV_VDB_ERROR;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = blobs_each(b->h, st, fn, ctx, reason);
    sqlite3_finalize(st);
    return rc;
}
