/* See db.h. With db_accounts.c, the only code of the project that speaks SQL. */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include <malyava/bundle.h>
#include <malyava/fileio.h>
#include <malyava/keyid.h>
#include <malyava/reply.h>

#include "db_sql.h"
#include "log.h"

#define DB_SCHEMA_VERSION 4

/* Pending uploads (version 4): what each has durably received, what it
 * reserves against the quota (received plus a bounded allowance ahead),
 * and the day it last received bytes. Their finer clocks live in memory
 * only (pending.h): no column holds an hour. */
#define DB_UPLOADS_TABLE(name)                                                                     \
    "CREATE TABLE " name " ("                                                                      \
    "  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 32),"                                     \
    "  upload_length INTEGER NOT NULL CHECK (upload_length > 0),"                                 \
    "  upload_offset INTEGER NOT NULL CHECK (upload_offset BETWEEN 0 AND upload_length),"         \
    "  reserved INTEGER NOT NULL CHECK (reserved BETWEEN upload_offset AND upload_length),"        \
    "  active_day INTEGER NOT NULL"                                                                \
    ") WITHOUT ROWID;"

/* WITHOUT ROWID keeps rows in id order, and ids are random: the file does
 * not record the order in which submissions arrived (db_resort keeps the
 * order within each page from telling it either). */
static const char db_schema[] =
    DB_UPLOADS_TABLE("uploads")
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
    ");";

/* Version 2: sources' reply accounts and the replies waiting for them.
 * Replies are small (MLV_REPLY_MAX_BYTES), so they live in the database,
 * where a deletion is one transaction and secure_delete zeroes them. */
static const char db_schema_v2[] =
    "CREATE TABLE reply_accounts ("
    "  token_hash BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),"
    "  reply_key BLOB NOT NULL UNIQUE CHECK (length(reply_key) = 32),"
    "  last_active_day INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE replies ("
    "  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 32),"
    "  reply_key BLOB NOT NULL CHECK (length(reply_key) = 32),"
    "  created_day INTEGER NOT NULL,"
    "  envelope BLOB NOT NULL"
    ");"
    "CREATE INDEX replies_by_key ON replies (reply_key, created_day);"
    "PRAGMA user_version = 2;";

/* Version 3: which received envelopes the server sealed itself (the plain
 * form's disk share counts them; each envelope's header says as much
 * anyway), and reply accounts by day, so the oldest one no reply waits for
 * is found at once when a new source needs its place. */
static const char db_schema_v3[] =
    "ALTER TABLE submissions ADD COLUMN server_sealed INTEGER NOT NULL DEFAULT 0 CHECK (server_sealed IN (0, 1));"
    "CREATE INDEX reply_accounts_by_day ON reply_accounts (last_active_day);"
    "PRAGMA user_version = 3;";

/* Version 4: pending uploads lose their expiry hour. They keep their whole
 * declared length reserved, as they had, and count as active today. */
static const char db_schema_v4[] =
    DB_UPLOADS_TABLE("uploads_v4")
    "INSERT INTO uploads_v4 SELECT id, upload_length, upload_offset, upload_length, "
    "  CAST(strftime('%s', 'now') AS INTEGER) / 86400 FROM uploads;"
    "DROP TABLE uploads;"
    "ALTER TABLE uploads_v4 RENAME TO uploads;"
    "PRAGMA user_version = 4;";

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

/* For db_accounts.c (db_sql.h). */
mlv_db_status mlv_db_sql_fail(mlv_db *db, const char *what)
{
    return db_fail(db, what);
}

int mlv_db_sql_exec(mlv_db *db, const char *sql)
{
    return db_exec(db, sql);
}

sqlite3_stmt *mlv_db_sql_prepare(mlv_db *db, const char *sql)
{
    return db_prepare(db, sql);
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
    db->accounts = -1;
    if (create) {
        /* Created by us first so it is 0600 and never an existing file;
         * SQLite gives its journal the same mode. */
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
    /*
     * A rollback journal, truncated at every commit, and not WAL: a WAL
     * keeps every committed version of every page until a checkpoint, so a
     * copy of a running server's files replays its history commit by
     * commit (the order of arrivals). The journal only ever holds the
     * pages the transaction in progress changes, as they were before it.
     * secure_delete zeroes what a deleted row or freed page leaves in the
     * file, so the ids of finished and abandoned uploads do not linger;
     * temporary tables (db_resort) stay in memory. Costs and the test:
     * docs/RELIABILITY.md.
     */
    st = db_prepare(db, "PRAGMA journal_mode = TRUNCATE");
    if (st == NULL || sqlite3_step(st) != SQLITE_ROW || sqlite3_column_text(st, 0) == NULL ||
        strcmp((const char *)sqlite3_column_text(st, 0), "truncate") != 0) {
        mlv_log_msg("database '%s' cannot leave WAL mode while another program has it open; stop that program "
                    "and start again", path);
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (db_exec(db, "PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY;") != 0) {
        db_fail(db, "setting the journal mode");
        goto out;
    }
    st = db_prepare(db, "PRAGMA user_version");
    if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
        db_fail(db, "reading the schema version");
        goto out;
    }
    version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (version == 0 && create) {
        if (db_exec(db, "BEGIN IMMEDIATE") != 0 || db_exec(db, db_schema) != 0 || db_exec(db, db_schema_v2) != 0 ||
            db_exec(db, db_schema_v3) != 0 || db_exec(db, "PRAGMA user_version = 4") != 0 ||
            db_exec(db, "COMMIT") != 0) {
            db_fail(db, "creating the schema");
            goto out;
        }
    } else if (version >= 1 && version <= 3) {
        /* A data directory from an older version: upgraded in place, once
         * (4: pending uploads keep no expiry hour). */
        if (db_exec(db, "BEGIN IMMEDIATE") != 0 || (version == 1 && db_exec(db, db_schema_v2) != 0) ||
            (version < 3 && db_exec(db, db_schema_v3) != 0) || db_exec(db, db_schema_v4) != 0 ||
            db_exec(db, "COMMIT") != 0) {
            db_fail(db, "upgrading the schema to version 4");
            db_exec(db, "ROLLBACK");
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

/*
 * Rewrites `table` (uploads or submissions) in id order, inside the
 * caller's transaction. SQLite puts a new row's cell below the older cells
 * of its page, and moves a row whose size changes to the lowest free
 * place: left alone, the cells of a page would tell the order in which
 * rows arrived or last changed. Rewritten, where a row lies depends only
 * on the ids present; the old cells go with secure_delete. Cheap for these
 * tables: at most max_pending_uploads rows, and submissions until the
 * next export.
 */
static int db_resort(mlv_db *db, const char *table)
{
    char sql[512];

    snprintf(sql, sizeof sql,
             "CREATE TEMP TABLE IF NOT EXISTS resort_%s AS SELECT * FROM main.%s WHERE 0;"
             "INSERT INTO temp.resort_%s SELECT * FROM main.%s;"
             "DELETE FROM main.%s;"
             "INSERT INTO main.%s SELECT * FROM temp.resort_%s ORDER BY id;"
             "DELETE FROM temp.resort_%s;",
             table, table, table, table, table, table, table, table);
    return db_exec(db, sql);
}

/* What pending uploads hold and what is stored: the quota's terms. */
typedef struct db_usage {
    uint64_t count, reserved, unwritten, stored;
} db_usage;

static int db_usage_get(mlv_db *db, db_usage *u)
{
    sqlite3_stmt *st = db_prepare(db, "SELECT COUNT(*), COALESCE(SUM(reserved), 0), "
                                      "COALESCE(SUM(reserved - upload_offset), 0), "
                                      "(SELECT COALESCE(SUM(envelope_length), 0) FROM submissions) FROM uploads");
    int rc = -1;

    if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        u->count = col_u64(st, 0);
        u->reserved = col_u64(st, 1);
        u->unwritten = col_u64(st, 2);
        u->stored = col_u64(st, 3);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Can `more` bytes be reserved? `unwritten_less`: reserved bytes of the
 * usage already written (a commit's new bytes, on the disk already). */
static int db_room(const db_usage *u, const mlv_db_quota *q, uint64_t more, uint64_t unwritten_less)
{
    uint64_t unwritten = u->unwritten > unwritten_less ? u->unwritten - unwritten_less : 0;

    return add_sat(add_sat(u->reserved, u->stored), more) <= q->max_disk_bytes &&
           add_sat(unwritten, more) <= q->usable_bytes;
}

mlv_db_status mlv_db_upload_create(mlv_db *db, const mlv_db_upload *u, const mlv_db_quota *q)
{
    sqlite3_stmt *st = NULL;
    db_usage use;
    mlv_db_status rc = MLV_DB_ERROR;

    pthread_mutex_lock(&db->lock);
    if (db_exec(db, "BEGIN IMMEDIATE") != 0 || db_usage_get(db, &use) != 0)
        goto out;
    if (use.count >= q->max_pending) {
        rc = MLV_DB_FULL_COUNT;
        goto out;
    }
    if (!db_room(&use, q, u->reserved, 0)) {
        rc = MLV_DB_FULL_DISK;
        goto out;
    }
    st = db_prepare(db, "INSERT INTO uploads (id, upload_length, upload_offset, reserved, active_day) "
                        "VALUES (?, ?, 0, ?, ?)");
    if (st == NULL)
        goto out;
    sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)u->length);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)u->reserved);
    sqlite3_bind_int64(st, 4, u->day);
    if (sqlite3_step(st) != SQLITE_DONE || db_resort(db, "uploads") != 0 || db_exec(db, "COMMIT") != 0)
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
    out->reserved = col_u64(st, 3);
    out->day = sqlite3_column_int64(st, 4);
}

mlv_db_status mlv_db_upload_get(mlv_db *db, const char *id, mlv_db_upload *out)
{
    sqlite3_stmt *st;
    mlv_db_status rc = MLV_DB_ERROR;
    int step;

    pthread_mutex_lock(&db->lock);
    st = db_prepare(db, "SELECT id, upload_length, upload_offset, reserved, active_day FROM uploads WHERE id = ?");
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

mlv_db_status mlv_db_upload_progress(mlv_db *db, const char *id, uint64_t offset, uint64_t want, int64_t day,
                                     const mlv_db_quota *q, uint64_t *reserved)
{
    sqlite3_stmt *st = NULL;
    db_usage use;
    uint64_t had, was_at, length;
    mlv_db_status rc = MLV_DB_ERROR;
    int step;

    pthread_mutex_lock(&db->lock);
    if (db_exec(db, "BEGIN IMMEDIATE") != 0)
        goto out;
    st = db_prepare(db, "SELECT upload_length, upload_offset, reserved, active_day FROM uploads WHERE id = ?");
    if (st == NULL)
        goto out;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = MLV_DB_NOT_FOUND;
        goto out;
    }
    if (step != SQLITE_ROW)
        goto out;
    length = col_u64(st, 0);
    was_at = col_u64(st, 1);
    had = col_u64(st, 2);
    /* The day of the last byte: a commit without one moves nothing. */
    if (offset == was_at)
        day = sqlite3_column_int64(st, 3);
    sqlite3_finalize(st);
    st = NULL;
    if (offset > length || offset < was_at || db_usage_get(db, &use) != 0)
        goto out;
    want = want > length ? length : want;
    *reserved = had > offset ? had : offset;
    rc = MLV_DB_OK;
    if (want > *reserved) {
        if (db_room(&use, q, want - *reserved, offset - was_at))
            *reserved = want;
        else
            rc = MLV_DB_FULL_DISK;
    }
    st = db_prepare(db, "UPDATE uploads SET upload_offset = ?, reserved = ?, active_day = ? WHERE id = ?");
    if (st == NULL)
        goto fail;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)offset);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)*reserved);
    sqlite3_bind_int64(st, 3, day);
    sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE || db_resort(db, "uploads") != 0 || db_exec(db, "COMMIT") != 0)
        goto fail;
    goto out;
fail:
    rc = MLV_DB_ERROR;
out:
    if (rc == MLV_DB_ERROR)
        db_fail(db, "recording upload progress");
    sqlite3_finalize(st);
    if (rc != MLV_DB_OK && rc != MLV_DB_FULL_DISK)
        db_exec(db, "ROLLBACK");
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

mlv_db_status mlv_db_submission_delete_many(mlv_db *db, const char (*ids)[MLV_STORE_ID_HEX_BYTES], size_t n)
{
    sqlite3_stmt *st = NULL;
    mlv_db_status rc = MLV_DB_ERROR;

    pthread_mutex_lock(&db->lock);
    if (db_exec(db, "BEGIN IMMEDIATE") != 0)
        goto out;
    st = db_prepare(db, "DELETE FROM submissions WHERE id = ?");
    if (st == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
    }
    if (db_exec(db, "COMMIT") != 0)
        goto out;
    rc = MLV_DB_OK;
out:
    if (rc != MLV_DB_OK) {
        db_fail(db, "deleting submissions");
        db_exec(db, "ROLLBACK");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
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
    if (db_run_id(db, "DELETE FROM uploads WHERE id = ?", id) != 0 || db_resort(db, "submissions") != 0 ||
        db_exec(db, "COMMIT") != 0)
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
    st = db_prepare(db, "SELECT id, upload_length, upload_offset, reserved, active_day FROM uploads");
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
    return mlv_db_submission_ids_before(db, INT64_MAX, out, n);
}

mlv_db_status mlv_db_submission_ids_before(mlv_db *db, int64_t day, char (**out)[MLV_STORE_ID_HEX_BYTES],
                                           size_t *n)
{
    char (*ids)[MLV_STORE_ID_HEX_BYTES] = NULL;
    size_t count = 0, cap = 0;
    sqlite3_stmt *st;
    mlv_db_status rc = MLV_DB_ERROR;
    int step;

    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&db->lock);
    st = db_prepare(db, "SELECT id FROM submissions WHERE received_day < ?");
    if (st == NULL)
        goto out;
    sqlite3_bind_int64(st, 1, day);
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

mlv_db_status mlv_db_submission_mark_server_sealed(mlv_db *db, const char *id)
{
    mlv_db_status rc = MLV_DB_OK;

    pthread_mutex_lock(&db->lock);
    if (db_run_id(db, "UPDATE submissions SET server_sealed = 1 WHERE id = ?", id) != 0)
        rc = db_fail(db, "marking a submission as sealed by the server");
    else if (sqlite3_changes(db->h) == 0)
        rc = MLV_DB_NOT_FOUND;
    pthread_mutex_unlock(&db->lock);
    return rc;
}

mlv_db_status mlv_db_server_sealed_bytes(mlv_db *db, uint64_t *out)
{
    sqlite3_stmt *st;
    mlv_db_status rc = MLV_DB_ERROR;

    *out = 0;
    pthread_mutex_lock(&db->lock);
    st = db_prepare(db, "SELECT COALESCE(SUM(envelope_length), 0) FROM submissions WHERE server_sealed = 1");
    if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        *out = col_u64(st, 0);
        rc = MLV_DB_OK;
    } else if (st != NULL) {
        db_fail(db, "counting what the server sealed");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

int mlv_db_held_elsewhere(mlv_db *db)
{
    const struct timespec pause = { 0, 100 * 1000 * 1000 };
    int held = 1, rc;

    pthread_mutex_lock(&db->lock);
    sqlite3_busy_timeout(db->h, 0);
    for (unsigned waited = 0; held == 1 && waited <= MLV_SRV_DB_BUSY_MS; waited += 100u) {
        rc = sqlite3_exec(db->h, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            held = 0;
        else if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
            db_fail(db, "trying the database's lock");
            held = -1;
        }
        db_exec(db, "ROLLBACK");
        if (held == 1)
            nanosleep(&pause, NULL);
    }
    sqlite3_busy_timeout(db->h, (int)MLV_SRV_DB_BUSY_MS);
    pthread_mutex_unlock(&db->lock);
    return held;
}

mlv_db_status mlv_db_stats_get(mlv_db *db, mlv_db_stats *out)
{
    sqlite3_stmt *st;
    mlv_db_status rc = MLV_DB_ERROR;

    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&db->lock);
    st = db_prepare(db, "SELECT (SELECT COUNT(*) FROM submissions), (SELECT COALESCE(SUM(envelope_length), 0) FROM submissions), "
                        "COUNT(*), COALESCE(SUM(reserved), 0), COALESCE(SUM(upload_offset), 0), "
                        "(SELECT COUNT(*) FROM reply_accounts), (SELECT COUNT(*) FROM replies), "
                        "(SELECT COALESCE(SUM(length(envelope)), 0) FROM replies) FROM uploads");
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
    out->accounts = col_u64(st, 5);
    out->replies = col_u64(st, 6);
    out->replies_bytes = col_u64(st, 7);
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

/* ---- export bundles ---------------------------------------------------- */

_Static_assert(MLV_BUNDLE_EXPORT_APP_ID == 1296848450, "the export schema text below spells it out");
#define BUNDLE_REPLIES_APP_ID MLV_BUNDLE_REPLIES_APP_ID
#define BUNDLE_VERSION MLV_BUNDLE_VERSION

/* The export bundle's schema as the design gives it, spaced the same, so
 * readers may compare sqlite_schema.sql text. */
static const char bundle_export_schema[] =
    "PRAGMA application_id = 1296848450;"
    "PRAGMA user_version = 1;"
    "CREATE TABLE bundle_info (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
    "CREATE TABLE submissions (\n"
    "  id TEXT PRIMARY KEY,\n"
    "  received_day INTEGER NOT NULL,\n"
    "  size INTEGER NOT NULL,\n"
    "  receipt TEXT NOT NULL,\n"
    "  server_sealed INTEGER NOT NULL\n"
    ") STRICT;"
    "CREATE TABLE chunks (\n"
    "  submission TEXT NOT NULL REFERENCES submissions(id),\n"
    "  seq INTEGER NOT NULL,\n"
    "  data BLOB NOT NULL,\n"
    "  PRIMARY KEY (submission, seq)\n"
    ") STRICT;";

typedef struct export_item {
    char id[MLV_STORE_ID_HEX_BYTES];
    uint64_t length;
    uint8_t receipt[MLV_RECEIPT_BYTES];
    int64_t day;
} export_item;

/* The oldest MLV_BUNDLE_MAX_SUBMISSIONS received submissions, read under
 * the lock; the envelopes are streamed after it is released, so uploads
 * are not held up by a long export. */
static mlv_db_status export_list(mlv_db *db, export_item **out, size_t *n, uint64_t *left)
{
    export_item *list = NULL;
    size_t count = 0, cap = 0;
    sqlite3_stmt *st;
    mlv_db_status rc = MLV_DB_ERROR;
    int step;

    *out = NULL;
    *n = 0;
    *left = 0;
    pthread_mutex_lock(&db->lock);
    st = db_prepare(db, "SELECT id, envelope_length, receipt, received_day, (SELECT COUNT(*) FROM submissions) "
                        "FROM submissions ORDER BY received_day, id LIMIT ?");
    if (st == NULL)
        goto out;
    sqlite3_bind_int64(st, 1, MLV_BUNDLE_MAX_SUBMISSIONS);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(st, 0);
        if (id == NULL || !mlv_store_id_valid((const char *)id, strlen((const char *)id)) ||
            sqlite3_column_bytes(st, 2) != MLV_RECEIPT_BYTES)
            continue;
        if (count == cap) {
            size_t ncap = cap == 0 ? 256 : cap * 2u;
            export_item *grown = reallocarray(list, ncap, sizeof *list);
            if (grown == NULL)
                goto out;
            list = grown;
            cap = ncap;
        }
        memcpy(list[count].id, id, MLV_STORE_ID_HEX_BYTES);
        list[count].length = col_u64(st, 1);
        memcpy(list[count].receipt, sqlite3_column_blob(st, 2), MLV_RECEIPT_BYTES);
        list[count].day = sqlite3_column_int64(st, 3);
        *left = col_u64(st, 4);
        count++;
    }
    if (step != SQLITE_DONE) {
        db_fail(db, "listing submissions to export");
        goto out;
    }
    *left = *left > count ? *left - count : 0;
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

static int bundle_exec(sqlite3 *b, const char *sql)
{
    return sqlite3_exec(b, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int bundle_info_put(sqlite3 *b, const char *key, const char *value)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(b, "INSERT INTO bundle_info (key, value) VALUES (?, ?)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    return rc;
}

typedef enum { COPY_OK, COPY_GONE, COPY_SKIP, COPY_ERROR } copy_result;

/* Streams envelopes/<id>.env into chunk rows, hashing as it goes, and
 * adds the submission row only if size and receipt still match. */
static copy_result export_one(sqlite3 *b, sqlite3_stmt *ins_chunk, sqlite3_stmt *ins_sub, int env_fd,
                              const export_item *it, uint8_t *buf)
{
    char name[MLV_STORE_ID_HEX_BYTES + 8], receipt_str[MLV_RECEIPT_STR_BYTES];
    uint8_t receipt[MLV_RECEIPT_BYTES];
    crypto_generichash_state hs;
    uint64_t done = 0;
    int64_t seq = 0;
    int fd, sealed_flag = -1;
    copy_result rc = COPY_ERROR;
    sqlite3_stmt *del = NULL;
    mlv_env_header h;

    snprintf(name, sizeof name, "%s.env", it->id);
    fd = openat(env_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        /* Acked and purged since the list was read: simply not exported. */
        if (errno == ENOENT)
            return COPY_GONE;
        mlv_log_msg("cannot open a received envelope for export: %s; check envelopes/ and the disk", strerror(errno));
        return COPY_SKIP;
    }
    crypto_generichash_init(&hs, NULL, 0, MLV_RECEIPT_BYTES);
    for (;;) {
        ssize_t n = mlv_file_read_full(fd, buf, MLV_BUNDLE_CHUNK_BYTES);
        if (n < 0) {
            mlv_log_msg("cannot read a received envelope for export: %s", strerror(errno));
            rc = COPY_SKIP;
            goto undo;
        }
        if (n == 0)
            break;
        if (seq == 0)
            sealed_flag = mlv_env_header_parse(buf, (size_t)n, &h) == MLV_ENV_OK
                              ? (h.flags & MLV_ENV_FLAG_SERVER_SEALED) != 0 : -1;
        crypto_generichash_update(&hs, buf, (size_t)n);
        sqlite3_reset(ins_chunk);
        sqlite3_bind_text(ins_chunk, 1, it->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins_chunk, 2, seq);
        sqlite3_bind_blob(ins_chunk, 3, buf, (int)n, SQLITE_STATIC);
        if (sqlite3_step(ins_chunk) != SQLITE_DONE)
            goto out;
        seq++;
        done += (uint64_t)n;
        if (done > it->length)
            break;
    }
    crypto_generichash_final(&hs, receipt, sizeof receipt);
    if (done != it->length || sealed_flag < 0 || crypto_verify_16(receipt, it->receipt) != 0) {
        mlv_log_msg("a received envelope no longer matches its size or receipt and was left out of the export; "
                    "check the disk (id %s)", it->id);
        rc = COPY_SKIP;
        goto undo;
    }
    mlv_env_receipt_to_string(receipt_str, it->receipt);
    sqlite3_reset(ins_sub);
    sqlite3_bind_text(ins_sub, 1, it->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins_sub, 2, it->day);
    sqlite3_bind_int64(ins_sub, 3, (sqlite3_int64)it->length);
    sqlite3_bind_text(ins_sub, 4, receipt_str, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(ins_sub, 5, sealed_flag);
    rc = sqlite3_step(ins_sub) == SQLITE_DONE ? COPY_OK : COPY_ERROR;
    goto out;
undo:
    if (sqlite3_prepare_v2(b, "DELETE FROM chunks WHERE submission = ?", -1, &del, NULL) != SQLITE_OK)
        rc = COPY_ERROR;
    else {
        sqlite3_bind_text(del, 1, it->id, -1, SQLITE_STATIC);
        if (sqlite3_step(del) != SQLITE_DONE)
            rc = COPY_ERROR;
    }
out:
    sqlite3_finalize(del);
    close(fd);
    return rc;
}

mlv_db_status mlv_db_export_write(mlv_db *db, const mlv_store *store, const char *path, int64_t today,
                                  const char *org_fingerprint, mlv_db_export_report *rep)
{
    sqlite3 *b = NULL;
    sqlite3_stmt *ins_chunk = NULL, *ins_sub = NULL;
    export_item *items = NULL;
    uint8_t *buf = NULL;
    char day[24];
    size_t n = 0;
    mlv_db_status rc = MLV_DB_ERROR;

    memset(rep, 0, sizeof *rep);
    if (export_list(db, &items, &n, &rep->left) != MLV_DB_OK)
        return MLV_DB_ERROR;
    buf = malloc(MLV_BUNDLE_CHUNK_BYTES);
    if (buf == NULL) {
        mlv_log_msg("out of memory while exporting");
        goto out;
    }
    if (sqlite3_open_v2(path, &b, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK)
        goto fail;
    snprintf(day, sizeof day, "%lld", (long long)today);
    /* The journal stays in memory: no side file appears next to the bundle,
     * and the caller makes the finished file durable. */
    if (bundle_exec(b, "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;") != 0 ||
        bundle_exec(b, "BEGIN") != 0 || bundle_exec(b, bundle_export_schema) != 0 ||
        bundle_info_put(b, "kind", "export") != 0 || bundle_info_put(b, "format", "1") != 0 ||
        bundle_info_put(b, "created_day", day) != 0 || bundle_info_put(b, "org_key", org_fingerprint) != 0)
        goto fail;
    if (sqlite3_prepare_v2(b, "INSERT INTO chunks (submission, seq, data) VALUES (?, ?, ?)", -1, &ins_chunk,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(b, "INSERT INTO submissions (id, received_day, size, receipt, server_sealed) "
                              "VALUES (?, ?, ?, ?, ?)", -1, &ins_sub, NULL) != SQLITE_OK)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        switch (export_one(b, ins_chunk, ins_sub, store->envelopes_fd, &items[i], buf)) {
        case COPY_OK:
            rep->submissions++;
            rep->bytes += items[i].length;
            break;
        case COPY_GONE:
            break;
        case COPY_SKIP:
            rep->skipped++;
            break;
        case COPY_ERROR:
            goto fail;
        }
    }
    if (bundle_exec(b, "COMMIT") != 0)
        goto fail;
    rc = MLV_DB_OK;
    goto out;
fail:
    mlv_log_msg("cannot write the export bundle '%s': %s; check the free space", path,
                b != NULL ? sqlite3_errmsg(b) : "out of memory");
out:
    sqlite3_finalize(ins_chunk);
    sqlite3_finalize(ins_sub);
    sqlite3_close(b);
    free(buf);
    free(items);
    return rc;
}

/* Reply accounts, fetching and retention: db_accounts.c. */

/* ---- replies bundles: hostile input ------------------------------------ */

typedef struct expect_col {
    const char *table, *name, *type;
    int notnull, pk;
} expect_col;

/* What docs/FORMAT.md's replies bundle declares, column by column: a
 * check that does not depend on how the writer spaced its SQL. (STRICT
 * makes a primary key column NOT NULL.) */
static const expect_col replies_cols[] = {
    { "bundle_info", "key", "TEXT", 1, 1 },
    { "bundle_info", "value", "TEXT", 1, 0 },
    { "replies", "id", "TEXT", 1, 1 },
    { "replies", "reply_key", "TEXT", 1, 0 },
    { "replies", "created_day", "INTEGER", 1, 0 },
    { "replies", "data", "BLOB", 1, 0 },
};

/* sqlite_schema in name order: two tables and their primary-key indexes,
 * nothing else (no views, triggers or other tables). */
static const char *const replies_objects[][3] = {
    { "table", "bundle_info", "bundle_info" },
    { "table", "replies", "replies" },
    { "index", "sqlite_autoindex_bundle_info_1", "bundle_info" },
    { "index", "sqlite_autoindex_replies_1", "replies" },
};

#define NREPLIES_OBJECTS (sizeof replies_objects / sizeof replies_objects[0])
#define BUNDLE_MAX_INFO_ROWS 16

static mlv_db_status refuse(mlv_db_import_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static mlv_db_status refuse(mlv_db_import_report *rep, const char *fmt, ...)
{
    va_list ap;

    if (rep->reason[0] == '\0') {
        va_start(ap, fmt);
        vsnprintf(rep->reason, sizeof rep->reason, fmt, ap);
        va_end(ap);
    }
    return MLV_DB_REFUSED;
}

static int text_eq(sqlite3_stmt *st, int col, const char *want)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    return t != NULL && strcmp((const char *)t, want) == 0;
}

static int is_lower_hex(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

static int64_t pragma_int(sqlite3 *b, const char *sql, int *ok)
{
    sqlite3_stmt *st = NULL;
    int64_t v = 0;

    *ok = 0;
    if (sqlite3_prepare_v2(b, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        *ok = 1;
    }
    sqlite3_finalize(st);
    return v;
}

/* Integrity, identity and exact shape of the file, before any row is read. */
static mlv_db_status check_replies_shape(sqlite3 *b, mlv_db_import_report *rep)
{
    sqlite3_stmt *st = NULL;
    mlv_db_status rc = MLV_DB_REFUSED;
    size_t i = 0;
    int step, ok;

    if (sqlite3_prepare_v2(b, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW ||
        !text_eq(st, 0, "ok") || sqlite3_step(st) != SQLITE_DONE) {
        refuse(rep, "it is not an intact SQLite file (%s)", sqlite3_errmsg(b));
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (pragma_int(b, "PRAGMA application_id", &ok) != BUNDLE_REPLIES_APP_ID || !ok) {
        refuse(rep, "it is not a Malyava replies bundle (wrong application_id)");
        goto out;
    }
    if (pragma_int(b, "PRAGMA user_version", &ok) != BUNDLE_VERSION || !ok) {
        refuse(rep, "its format version is not %d; export the replies again with a matching malyava", BUNDLE_VERSION);
        goto out;
    }
    if (sqlite3_prepare_v2(b, "SELECT type, name, tbl_name FROM sqlite_schema ORDER BY name", -1, &st, NULL) !=
        SQLITE_OK)
        goto schema;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (i == NREPLIES_OBJECTS || !text_eq(st, 0, replies_objects[i][0]) ||
            !text_eq(st, 1, replies_objects[i][1]) || !text_eq(st, 2, replies_objects[i][2]))
            goto schema;
        i++;
    }
    if (step != SQLITE_DONE || i != NREPLIES_OBJECTS)
        goto schema;
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(b, "SELECT m.name, c.name, c.type, c.\"notnull\", c.pk, c.dflt_value IS NULL, c.hidden, "
                              "t.strict FROM sqlite_schema AS m, pragma_table_xinfo(m.name) AS c, "
                              "pragma_table_list(m.name) AS t WHERE m.type = 'table' ORDER BY m.name, c.cid",
                           -1, &st, NULL) != SQLITE_OK)
        goto schema;
    for (i = 0; (step = sqlite3_step(st)) == SQLITE_ROW; i++) {
        const expect_col *c = &replies_cols[i];
        if (i == sizeof replies_cols / sizeof replies_cols[0] || !text_eq(st, 0, c->table) ||
            !text_eq(st, 1, c->name) || !text_eq(st, 2, c->type) || sqlite3_column_int(st, 3) != c->notnull ||
            sqlite3_column_int(st, 4) != c->pk || sqlite3_column_int(st, 5) != 1 ||
            sqlite3_column_int(st, 6) != 0 || sqlite3_column_int(st, 7) != 1)
            goto schema;
    }
    if (step != SQLITE_DONE || i != sizeof replies_cols / sizeof replies_cols[0])
        goto schema;
    rc = MLV_DB_OK;
    goto out;
schema:
    refuse(rep, "its tables are not those of a replies bundle version %d", BUNDLE_VERSION);
out:
    sqlite3_finalize(st);
    return rc;
}

static int id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, MLV_STORE_ID_HEX_BYTES);
}

/* bundle_info and every row's fields and sizes, still without loading a
 * reply: ids, keys, days, lengths, count, duplicates. */
static mlv_db_status check_replies_rows(sqlite3 *b, mlv_db_import_report *rep)
{
    char (*ids)[MLV_STORE_ID_HEX_BYTES] = NULL;
    sqlite3_stmt *st = NULL;
    mlv_db_status rc = MLV_DB_REFUSED;
    int64_t nrows, ninfo;
    size_t n = 0;
    int step, ok, kind = 0;

    ninfo = pragma_int(b, "SELECT COUNT(*) FROM bundle_info", &ok);
    if (!ok || ninfo > BUNDLE_MAX_INFO_ROWS) {
        refuse(rep, "its bundle_info table is unreadable or too long");
        goto out;
    }
    if (sqlite3_prepare_v2(b, "SELECT key, value FROM bundle_info", -1, &st, NULL) != SQLITE_OK)
        goto unreadable;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (text_eq(st, 0, "kind"))
            kind = text_eq(st, 1, "replies") ? 1 : -1;
        else if (text_eq(st, 0, "format") && !text_eq(st, 1, "1"))
            kind = -1;
    }
    if (step != SQLITE_DONE)
        goto unreadable;
    if (kind != 1) {
        refuse(rep, "its bundle_info does not say kind = replies, format 1 (an export bundle, or another file?)");
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    nrows = pragma_int(b, "SELECT COUNT(*) FROM replies NOT INDEXED", &ok);
    if (!ok || nrows < 0 || nrows > (int64_t)MLV_BUNDLE_MAX_REPLIES) {
        refuse(rep, "it holds more than %u replies; split it", MLV_BUNDLE_MAX_REPLIES);
        goto out;
    }
    ids = calloc(nrows > 0 ? (size_t)nrows : 1u, sizeof *ids);
    if (ids == NULL) {
        rc = MLV_DB_ERROR;
        goto out;
    }
    /* NOT INDEXED: the table itself, not an index a forger could make
     * disagree with it, is what gets imported. */
    if (sqlite3_prepare_v2(b, "SELECT id, reply_key, created_day, length(data), typeof(data) FROM replies NOT INDEXED",
                           -1, &st, NULL) != SQLITE_OK)
        goto unreadable;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(st, 0), *key = sqlite3_column_text(st, 1);
        int64_t dlen = sqlite3_column_int64(st, 3);

        if ((int64_t)n == nrows) {
            refuse(rep, "its rows and their count disagree (a forged file?)");
            goto out;
        }
        if (id == NULL || sqlite3_column_bytes(st, 0) != 32 || !is_lower_hex(id, 32)) {
            refuse(rep, "a reply id is not 32 lowercase hex digits");
            goto out;
        }
        if (key == NULL || sqlite3_column_bytes(st, 1) != 64 || !is_lower_hex(key, 64)) {
            refuse(rep, "reply %.32s: reply_key is not 64 lowercase hex digits", (const char *)id);
            goto out;
        }
        if (sqlite3_column_int64(st, 2) < 0) {
            refuse(rep, "reply %.32s: created_day is negative", (const char *)id);
            goto out;
        }
        if (!text_eq(st, 4, "blob") || dlen <= 0 || dlen > (int64_t)MLV_REPLY_MAX_BYTES) {
            refuse(rep, "reply %.32s: data is empty or larger than %u bytes", (const char *)id, MLV_REPLY_MAX_BYTES);
            goto out;
        }
        memcpy(ids[n++], id, 32);
    }
    if (step != SQLITE_DONE)
        goto unreadable;
    qsort(ids, n, sizeof *ids, id_cmp);
    for (size_t i = 1; i < n; i++) {
        if (memcmp(ids[i - 1], ids[i], MLV_STORE_ID_HEX_BYTES) == 0) {
            refuse(rep, "reply %.32s appears more than once", ids[i]);
            goto out;
        }
    }
    rc = MLV_DB_OK;
    goto out;
unreadable:
    refuse(rep, "its rows cannot be read (%s)", sqlite3_errmsg(b));
out:
    free(ids);
    sqlite3_finalize(st);
    return rc;
}

/* Each reply must be a reply (docs/FORMAT.md §4.5) whose envelope is sealed
 * to exactly its reply key. The proof needs the source's secret key: the
 * shape is all the server can check. */
static mlv_reply_status reply_check(const uint8_t *data, size_t len, const uint8_t key[MLV_DB_REPLY_KEY_BYTES])
{
    uint8_t id[MLV_KEY_ID_BYTES], sealed_to[MLV_KEY_ID_BYTES];
    mlv_reply_status st = mlv_reply_check_shape(data, len, sealed_to);

    if (st != MLV_REPLY_OK)
        return st;
    mlv_keyid_compute(id, key, MLV_DB_REPLY_KEY_BYTES);
    return memcmp(id, sealed_to, MLV_KEY_ID_BYTES) == 0 ? MLV_REPLY_OK : MLV_REPLY_ERR_MALFORMED;
}

/* Inside the server's transaction: the rows again, this time with data. */
static mlv_db_status store_replies(mlv_db *db, sqlite3 *b, int64_t today, mlv_db_import_report *rep)
{
    sqlite3_stmt *st = NULL, *ins = NULL;
    uint8_t key[MLV_DB_REPLY_KEY_BYTES];
    mlv_db_status rc = MLV_DB_ERROR;
    int step;

    if (sqlite3_prepare_v2(b, "SELECT id, reply_key, data FROM replies NOT INDEXED", -1, &st, NULL) != SQLITE_OK) {
        rc = refuse(rep, "its rows cannot be read (%s)", sqlite3_errmsg(b));
        goto out;
    }
    ins = db_prepare(db, "INSERT OR IGNORE INTO replies (id, reply_key, created_day, envelope) VALUES (?, ?, ?, ?)");
    if (ins == NULL)
        goto out;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *hex = (const char *)sqlite3_column_text(st, 1);
        const uint8_t *data = sqlite3_column_blob(st, 2);
        int len = sqlite3_column_bytes(st, 2);

        if (id == NULL || hex == NULL || data == NULL || len <= 0 || (size_t)len > MLV_REPLY_MAX_BYTES ||
            sodium_hex2bin(key, sizeof key, hex, 64, NULL, NULL, NULL) != 0) {
            rc = refuse(rep, "its rows changed while read");
            goto out;
        }
        switch (reply_check(data, (size_t)len, key)) {
        case MLV_REPLY_OK: break;
        case MLV_REPLY_ERR_UNPROVEN:
            rc = refuse(rep, "reply %.32s carries no proof of origin (made by a malyava older than reply format 2); "
                             "sources would not be shown it: upgrade malyava on the editors' machine and send it "
                             "again", id);
            goto out;
        default:
            rc = refuse(rep, "reply %.32s is not a reply sealed to exactly its reply_key", id);
            goto out;
        }
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, id, 32, SQLITE_STATIC);
        sqlite3_bind_blob(ins, 2, key, sizeof key, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, today);
        sqlite3_bind_blob(ins, 4, data, len, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            goto out;
        if (sqlite3_changes(db->h) == 1)
            rep->stored++;
        else
            rep->present++;
    }
    if (step != SQLITE_DONE) {
        rc = refuse(rep, "its rows cannot be read (%s)", sqlite3_errmsg(b));
        goto out;
    }
    rc = MLV_DB_OK;
out:
    sqlite3_finalize(st);
    sqlite3_finalize(ins);
    return rc;
}

mlv_db_status mlv_db_replies_import(mlv_db *db, const char *path, int64_t today, mlv_db_import_report *rep)
{
    sqlite3 *b = NULL;
    struct stat sb;
    char *uri = NULL;
    mlv_db_status rc = MLV_DB_ERROR;
    int locked = 0;

    memset(rep, 0, sizeof *rep);
    if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rc = refuse(rep, "it is not a regular file");
        goto out;
    }
    if ((uint64_t)sb.st_size > MLV_SRV_MAX_REPLIES_BUNDLE_BYTES) {
        rc = refuse(rep, "it is larger than %u bytes; split it", MLV_SRV_MAX_REPLIES_BUNDLE_BYTES);
        goto out;
    }
    uri = mlv_file_immutable_uri(path);
    if (uri == NULL)
        goto out;
    if (sqlite3_open_v2(uri, &b, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        rc = refuse(rep, "it cannot be opened as SQLite (%s)", b != NULL ? sqlite3_errmsg(b) : "out of memory");
        goto out;
    }
    sqlite3_db_config(b, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(b, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_db_config(b, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
    sqlite3_db_config(b, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
    sqlite3_limit(b, SQLITE_LIMIT_ATTACHED, 0);
    rc = check_replies_shape(b, rep);
    if (rc == MLV_DB_OK)
        rc = check_replies_rows(b, rep);
    if (rc != MLV_DB_OK)
        goto out;
    pthread_mutex_lock(&db->lock);
    locked = 1;
    if (db_exec(db, "BEGIN IMMEDIATE") != 0) {
        rc = db_fail(db, "starting to store replies");
        goto out;
    }
    rc = store_replies(db, b, today, rep);
    if (rc == MLV_DB_OK && db_exec(db, "COMMIT") != 0)
        rc = MLV_DB_ERROR;
    if (rc != MLV_DB_OK) {
        if (rc == MLV_DB_ERROR)
            db_fail(db, "storing replies");
        db_exec(db, "ROLLBACK");
        rep->stored = rep->present = 0;
    }
out:
    if (locked)
        pthread_mutex_unlock(&db->lock);
    sqlite3_close(b);
    free(uri);
    return rc;
}
