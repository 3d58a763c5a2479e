/* See db.h. The only file of the project that speaks SQL. */
#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include <malyava/fileio.h>

#include "log.h"

#define DB_SCHEMA_VERSION 1

/* WITHOUT ROWID keeps rows in id order, and ids are random: the file does
 * not record the order in which submissions arrived. */
static const char db_schema[] =
    "CREATE TABLE uploads ("
    "  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 32),"
    "  upload_length INTEGER NOT NULL CHECK (upload_length > 0),"
    "  upload_offset INTEGER NOT NULL CHECK (upload_offset BETWEEN 0 AND upload_length),"
    "  expires_hour INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE submissions ("
    "  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 32),"
    "  envelope_length INTEGER NOT NULL CHECK (envelope_length > 0),"
    "  receipt BLOB NOT NULL CHECK (length(receipt) = 16),"
    "  received_day INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE manifests ("
    "  slot INTEGER PRIMARY KEY CHECK (slot IN (0, 1)),"
    "  serial INTEGER NOT NULL CHECK (serial > 0),"
    "  text BLOB NOT NULL,"
    "  sig BLOB NOT NULL,"
    "  replaced_day INTEGER"
    ");"
    "PRAGMA user_version = 1;";

struct mlv_db {
    sqlite3 *h;
    pthread_mutex_t lock;
};

static mlv_db_status db_fail(mlv_db *db, const char *what)
{
    mlv_log_msg("database error while %s: %s; check the disk and the permissions of %s", what,
                sqlite3_errmsg(db->h), MLV_STORE_DB);
    return MLV_DB_ERROR;
}

static int db_exec(mlv_db *db, const char *sql)
{
    return sqlite3_exec(db->h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static sqlite3_stmt *db_prepare(mlv_db *db, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
        db_fail(db, "preparing a statement");
        return NULL;
    }
    return st;
}

/* Runs a statement that returns no rows, binding one text id first. */
static int db_run_id(mlv_db *db, const char *sql, const char *id)
{
    sqlite3_stmt *st = db_prepare(db, sql);
    int rc;

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t col_u64(sqlite3_stmt *st, int col)
{
    sqlite3_int64 v = sqlite3_column_int64(st, col);

    return v < 0 ? 0 : (uint64_t)v;
}

mlv_db_status mlv_db_open(const char *path, int create, mlv_db **out)
{
    mlv_db *db = calloc(1, sizeof *db);
    sqlite3_stmt *st = NULL;
    int version, fd, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
    mlv_db_status rc = MLV_DB_ERROR;

    *out = NULL;
    if (db == NULL)
        return MLV_DB_ERROR;
    pthread_mutex_init(&db->lock, NULL);
    if (create) {
        /* Created by us first so it is 0600 and never an existing file;
         * SQLite gives its -wal and -shm files the same mode. */
        fd = mlv_file_create(path);
        if (fd < 0) {
            mlv_log_msg("cannot create database '%s': %s", path, strerror(errno));
            goto out;
        }
        close(fd);
    } else if (access(path, F_OK) != 0) {
        mlv_log_msg("database '%s' is missing: %s; the data directory is incomplete", path, strerror(errno));
        goto out;
    }
    if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
        mlv_log_msg("cannot open database '%s': %s", path, db->h ? sqlite3_errmsg(db->h) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(db->h, (int)MLV_SRV_DB_BUSY_MS);
    sqlite3_db_config(db->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(db->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    /* secure_delete zeroes what a deleted row leaves in the file: the ids
     * of finished and abandoned uploads do not linger. */
    if (db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;") != 0) {
        db_fail(db, "setting the journal mode");
        goto out;
    }
    st = db_prepare(db, "PRAGMA user_version");
    if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
        db_fail(db, "reading the schema version");
        goto out;
    }
    version = sqlite3_column_int(st, 0);
    if (version == 0 && create) {
        if (db_exec(db, "BEGIN IMMEDIATE") != 0 || db_exec(db, db_schema) != 0 || db_exec(db, "COMMIT") != 0) {
            db_fail(db, "creating the schema");
            goto out;
        }
    } else if (version != DB_SCHEMA_VERSION) {
        mlv_log_msg("database '%s' has schema version %d, this program reads %d; %s", path, version,
                    DB_SCHEMA_VERSION,
                    version > DB_SCHEMA_VERSION ? "install the newer malyava-dropbox that wrote it"
                                                : "it is not a malyava-dropbox database");
        goto out;
    }
    *out = db;
    db = NULL;
    rc = MLV_DB_OK;
out:
    sqlite3_finalize(st);
    mlv_db_close(db);
    return rc;
}

void mlv_db_close(mlv_db *db)
{
    if (db == NULL)
        return;
    sqlite3_close(db->h);
    pthread_mutex_destroy(&db->lock);
    free(db);
}

mlv_db_status mlv_db_upload_create(mlv_db *db, const mlv_db_upload *u, const mlv_db_quota *q)
{
    sqlite3_stmt *st = NULL;
    uint64_t count, reserved, unwritten, stored;
    mlv_db_status rc = MLV_DB_ERROR;

    pthread_mutex_lock(&db->lock);
    if (db_exec(db, "BEGIN IMMEDIATE") != 0)
        goto out;
    st = db_prepare(db, "SELECT COUNT(*), COALESCE(SUM(upload_length), 0), COALESCE(SUM(upload_length - upload_offset), 0), "
                        "(SELECT COALESCE(SUM(envelope_length), 0) FROM submissions) FROM uploads");
    if (st == NULL || sqlite3_step(st) != SQLITE_ROW)
        goto out;
    count = col_u64(st, 0);
    reserved = col_u64(st, 1);
    unwritten = col_u64(st, 2);
    stored = col_u64(st, 3);
    sqlite3_finalize(st);
    st = NULL;
    if (count >= q->max_pending) {
        rc = MLV_DB_FULL_COUNT;
        goto out;
    }
    if (add_sat(add_sat(reserved, stored), u->length) > q->max_disk_bytes ||
        add_sat(unwritten, u->length) > q->usable_bytes) {
        rc = MLV_DB_FULL_DISK;
        goto out;
    }
    st = db_prepare(db, "INSERT INTO uploads (id, upload_length, upload_offset, expires_hour) VALUES (?, ?, 0, ?)");
    if (st == NULL)
        goto out;
    sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)u->length);
    sqlite3_bind_int64(st, 3, u->expires_hour);
    if (sqlite3_step(st) != SQLITE_DONE || db_exec(db, "COMMIT") != 0)
        goto out;
    rc = MLV_DB_OK;
out:
    if (rc == MLV_DB_ERROR)
        db_fail(db, "creating an upload");
    sqlite3_finalize(st);
    if (rc != MLV_DB_OK)
        db_exec(db, "ROLLBACK");
    pthread_mutex_unlock(&db->lock);
    return rc;
}

static void read_upload(sqlite3_stmt *st, mlv_db_upload *out)
{
    const unsigned char *id = sqlite3_column_text(st, 0);

    memset(out, 0, sizeof *out);
    if (id != NULL && strlen((const char *)id) < sizeof out->id)
        memcpy(out->id, id, strlen((const char *)id) + 1u);
    out->length = col_u64(st, 1);
    out->offset = col_u64(st, 2);
    out->expires_hour = sqlite3_column_int64(st, 3);
}

mlv_db_status mlv_db_upload_get(mlv_db *db, const char *id, mlv_db_upload *out)
{
    sqlite3_stmt *st;
    mlv_db_status rc = MLV_DB_ERROR;
    int step;

    pthread_mutex_lock(&db->lock);
    st = db_prepare(db, "SELECT id, upload_length, upload_offset, expires_hour FROM uploads WHERE id = ?");
    if (st == NULL)
        goto out;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        read_upload(st, out);
        rc = MLV_DB_OK;
    } else if (step == SQLITE_DONE) {
        rc = MLV_DB_NOT_FOUND;
    } else {
        db_fail(db, "reading an upload");
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

mlv_db_status mlv_db_upload_progress(mlv_db *db, const char *id, uint64_t offset, int64_t expires_hour)
{
    sqlite3_stmt *st;
    mlv_db_status rc = MLV_DB_ERROR;

    pthread_mutex_lock(&db->lock);
    st = db_prepare(db, "UPDATE uploads SET upload_offset = ?, expires_hour = ? WHERE id = ?");
    if (st == NULL)
        goto out;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)offset);
    sqlite3_bind_int64(st, 2, expires_hour);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        db_fail(db, "recording upload progress");
    else
        rc = sqlite3_changes(db->h) == 1 ? MLV_DB_OK : MLV_DB_NOT_FOUND;
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

static mlv_db_status delete_by_id(mlv_db *db, const char *sql, const char *id)
{
    mlv_db_status rc = MLV_DB_OK;

    pthread_mutex_lock(&db->lock);
    if (db_run_id(db, sql, id) != 0)
        rc = db_fail(db, "deleting a row");
    else if (sqlite3_changes(db->h) == 0)
        rc = MLV_DB_NOT_FOUND;
    pthread_mutex_unlock(&db->lock);
    return rc;
}

mlv_db_status mlv_db_upload_delete(mlv_db *db, const char *id)
{
    return delete_by_id(db, "DELETE FROM uploads WHERE id = ?", id);
}

mlv_db_status mlv_db_submission_delete(mlv_db *db, const char *id)
{
    return delete_by_id(db, "DELETE FROM submissions WHERE id = ?", id);
}

mlv_db_status mlv_db_upload_finish(mlv_db *db, const char *id, const uint8_t receipt[MLV_RECEIPT_BYTES],
                                   int64_t day)
{
    sqlite3_stmt *st = NULL;
    mlv_db_status rc = MLV_DB_ERROR;

    pthread_mutex_lock(&db->lock);
    if (db_exec(db, "BEGIN IMMEDIATE") != 0)
        goto out;
    st = db_prepare(db, "INSERT INTO submissions (id, envelope_length, receipt, received_day) "
                        "SELECT id, upload_length, ?, ? FROM uploads WHERE id = ? AND upload_length > 0");
    if (st == NULL)
        goto out;
    sqlite3_bind_blob(st, 1, receipt, MLV_RECEIPT_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, day);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto out;
    if (sqlite3_changes(db->h) != 1) {
        rc = MLV_DB_NOT_FOUND;
        goto out;
    }
    if (db_run_id(db, "DELETE FROM uploads WHERE id = ?", id) != 0 || db_exec(db, "COMMIT") != 0)
        goto out;
    rc = MLV_DB_OK;
out:
    if (rc == MLV_DB_ERROR)
        db_fail(db, "recording a received submission");
    sqlite3_finalize(st);
    if (rc != MLV_DB_OK)
        db_exec(db, "ROLLBACK");
    pthread_mutex_unlock(&db->lock);
    return rc;
}

mlv_db_status mlv_db_upload_list(mlv_db *db, mlv_db_upload **out, size_t *n)
{
    sqlite3_stmt *st;
    mlv_db_upload *list = NULL;
    size_t count = 0, cap = 0;
    mlv_db_status rc = MLV_DB_ERROR;
    int step;

    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&db->lock);
    st = db_prepare(db, "SELECT id, upload_length, upload_offset, expires_hour FROM uploads");
    if (st == NULL)
        goto out;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap == 0 ? 64 : cap * 2u;
            mlv_db_upload *grown = reallocarray(list, ncap, sizeof *list);
            if (grown == NULL)
                goto out;
            list = grown;
            cap = ncap;
        }
        read_upload(st, &list[count++]);
    }
    if (step != SQLITE_DONE) {
        db_fail(db, "listing uploads");
        goto out;
    }
    *out = list;
    *n = count;
    list = NULL;
    rc = MLV_DB_OK;
out:
    free(list);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

mlv_db_status mlv_db_submission_get(mlv_db *db, const char *id, mlv_db_submission *out)
{
    sqlite3_stmt *st;
    mlv_db_status rc = MLV_DB_ERROR;
    int step;

    pthread_mutex_lock(&db->lock);
    st = db_prepare(db, "SELECT envelope_length, receipt, received_day FROM submissions WHERE id = ?");
    if (st == NULL)
        goto out;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_bytes(st, 1) == MLV_RECEIPT_BYTES) {
        out->length = col_u64(st, 0);
        memcpy(out->receipt, sqlite3_column_blob(st, 1), MLV_RECEIPT_BYTES);
        out->day = sqlite3_column_int64(st, 2);
        rc = MLV_DB_OK;
    } else if (step == SQLITE_DONE) {
        rc = MLV_DB_NOT_FOUND;
    } else {
        db_fail(db, "reading a submission");
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

mlv_db_status mlv_db_submission_ids(mlv_db *db, char (**out)[MLV_STORE_ID_HEX_BYTES], size_t *n)
{
    char (*ids)[MLV_STORE_ID_HEX_BYTES] = NULL;
    size_t count = 0, cap = 0;
    sqlite3_stmt *st;
    mlv_db_status rc = MLV_DB_ERROR;
    int step;

    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&db->lock);
    st = db_prepare(db, "SELECT id FROM submissions");
    if (st == NULL)
        goto out;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(st, 0);
        if (count == cap) {
            size_t ncap = cap == 0 ? 256 : cap * 2u;
            char (*grown)[MLV_STORE_ID_HEX_BYTES] = reallocarray(ids, ncap, sizeof *ids);
            if (grown == NULL)
                goto out;
            ids = grown;
            cap = ncap;
        }
        memset(ids[count], 0, sizeof ids[count]);
        if (id != NULL && strlen((const char *)id) < sizeof ids[count])
            memcpy(ids[count], id, strlen((const char *)id));
        count++;
    }
    if (step != SQLITE_DONE) {
        db_fail(db, "listing submissions");
        goto out;
    }
    *out = ids;
    *n = count;
    ids = NULL;
    rc = MLV_DB_OK;
out:
    free(ids);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

mlv_db_status mlv_db_stats_get(mlv_db *db, mlv_db_stats *out)
{
    sqlite3_stmt *st;
    mlv_db_status rc = MLV_DB_ERROR;

    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&db->lock);
    st = db_prepare(db, "SELECT (SELECT COUNT(*) FROM submissions), (SELECT COALESCE(SUM(envelope_length), 0) FROM submissions), "
                        "COUNT(*), COALESCE(SUM(upload_length), 0), COALESCE(SUM(upload_offset), 0) FROM uploads");
    if (st == NULL)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_fail(db, "counting submissions");
        goto out;
    }
    out->received = col_u64(st, 0);
    out->received_bytes = col_u64(st, 1);
    out->pending = col_u64(st, 2);
    out->pending_bytes = col_u64(st, 3);
    out->pending_written = col_u64(st, 4);
    rc = MLV_DB_OK;
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

static char *dup_blob(sqlite3_stmt *st, int col, size_t *len)
{
    const void *p = sqlite3_column_blob(st, col);
    int n = sqlite3_column_bytes(st, col);
    char *copy;

    if (n < 0 || (size_t)n > MLV_MAX_SMALL_FILE_BYTES)
        return NULL;
    copy = malloc((size_t)n + 1u);
    if (copy == NULL)
        return NULL;
    if (n > 0)
        memcpy(copy, p, (size_t)n);
    copy[n] = '\0';
    *len = (size_t)n;
    return copy;
}

mlv_db_status mlv_db_manifest_get(mlv_db *db, mlv_db_slot slot, mlv_db_manifest *out)
{
    sqlite3_stmt *st;
    mlv_db_status rc = MLV_DB_ERROR;
    int step;

    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&db->lock);
    st = db_prepare(db, "SELECT serial, text, sig, replaced_day FROM manifests WHERE slot = ?");
    if (st == NULL)
        goto out;
    sqlite3_bind_int(st, 1, (int)slot);
    step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = MLV_DB_NOT_FOUND;
        goto out;
    }
    if (step != SQLITE_ROW) {
        db_fail(db, "reading a manifest");
        goto out;
    }
    out->serial = col_u64(st, 0);
    out->replaced_day = sqlite3_column_int64(st, 3);
    out->text = dup_blob(st, 1, &out->text_len);
    out->sig = dup_blob(st, 2, &out->sig_len);
    if (out->text == NULL || out->sig == NULL) {
        mlv_log_msg("a stored manifest is unreadable or too large; install a new one with install-manifest");
        mlv_db_manifest_clear(out);
        goto out;
    }
    rc = MLV_DB_OK;
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

void mlv_db_manifest_clear(mlv_db_manifest *m)
{
    free(m->text);
    free(m->sig);
    memset(m, 0, sizeof *m);
}

mlv_db_status mlv_db_manifest_install(mlv_db *db, const mlv_db_manifest *m, int64_t today)
{
    sqlite3_stmt *st = NULL;
    mlv_db_status rc = MLV_DB_ERROR;
    int step;

    pthread_mutex_lock(&db->lock);
    if (db_exec(db, "BEGIN IMMEDIATE") != 0)
        goto out;
    /* Checked again inside the transaction: two installs at once must not
     * both pass a check made before it. */
    st = db_prepare(db, "SELECT serial FROM manifests WHERE slot = 0");
    if (st == NULL)
        goto out;
    step = sqlite3_step(st);
    if (step == SQLITE_ROW && col_u64(st, 0) >= m->serial) {
        rc = MLV_DB_ROLLBACK;
        goto out;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        goto out;
    sqlite3_finalize(st);
    st = NULL;
    if (db_exec(db, "DELETE FROM manifests WHERE slot = 1") != 0)
        goto out;
    st = db_prepare(db, "UPDATE manifests SET slot = 1, replaced_day = ? WHERE slot = 0");
    if (st == NULL)
        goto out;
    sqlite3_bind_int64(st, 1, today);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto out;
    sqlite3_finalize(st);
    st = db_prepare(db, "INSERT INTO manifests (slot, serial, text, sig) VALUES (0, ?, ?, ?)");
    if (st == NULL)
        goto out;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)m->serial);
    sqlite3_bind_blob(st, 2, m->text, (int)m->text_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, m->sig, (int)m->sig_len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE || db_exec(db, "COMMIT") != 0)
        goto out;
    rc = MLV_DB_OK;
out:
    if (rc == MLV_DB_ERROR)
        db_fail(db, "installing a manifest");
    sqlite3_finalize(st);
    if (rc != MLV_DB_OK)
        db_exec(db, "ROLLBACK");
    pthread_mutex_unlock(&db->lock);
    return rc;
}
