/*
 * The vault's upkeep in SQL (vdb.h, "the vault's upkeep"): re-sealing
 * rows when a key is removed, deleting a testimony no key opens, the
 * drop-boxes whose bundles the vault takes, and the backup. Part of
 * malyava's one SQL layer, with vdb.c (vdb_int.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <malyava/fileio.h>

#include "vdb_int.h"

/* Rows read at once by the walks that rewrite what they read: bounded
 * memory whatever the vault's size, few statements. */
#define RESEAL_BATCH 256u
#define DROPBOX_PREFIX "dropbox:"

mlv_vdb_status mlv_vdb_key_reseal(mlv_vdb *db, const uint8_t id[MLV_KEY_ID_BYTES],
                                  const uint8_t vault_key[MLV_VDB_SEALED_KEY_BYTES],
                                  const uint8_t secret_box[MLV_VDB_BOXED_KEY_BYTES])
{
    sqlite3_stmt *st = mlv_vdb_i_prepare(db, "UPDATE editor_keys SET vault_key = ?, secret_box = ? WHERE key_id = ?");
    mlv_vdb_status rc;

    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_blob(st, 1, vault_key, MLV_VDB_SEALED_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, secret_box, MLV_VDB_BOXED_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, id, MLV_KEY_ID_BYTES, SQLITE_STATIC);
    rc = mlv_vdb_i_run(db, st, "re-sealing a key");
    return rc == MLV_VDB_OK && sqlite3_changes(db->h) != 1 ? MLV_VDB_NOT_FOUND : rc;
}

mlv_vdb_status mlv_vdb_key_remove(mlv_vdb *db, const uint8_t id[MLV_KEY_ID_BYTES])
{
    sqlite3_stmt *st = mlv_vdb_i_prepare(db, "DELETE FROM editor_keys WHERE key_id = ?");
    mlv_vdb_status rc;

    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_blob(st, 1, id, MLV_KEY_ID_BYTES, SQLITE_STATIC);
    rc = mlv_vdb_i_run(db, st, "removing a key");
    return rc == MLV_VDB_OK && sqlite3_changes(db->h) != 1 ? MLV_VDB_NOT_FOUND : rc;
}

mlv_vdb_status mlv_vdb_env_ids(mlv_vdb *db, int64_t after, int64_t *ids, size_t max, size_t *n)
{
    sqlite3_stmt *st = mlv_vdb_i_prepare(db, "SELECT id FROM envelopes WHERE id > ? ORDER BY id LIMIT ?");
    mlv_vdb_status rc = MLV_VDB_OK;
    int step;

    *n = 0;
    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < max)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = mlv_vdb_i_fail(db, "reading envelopes");
    sqlite3_finalize(st);
    return rc;
}

typedef struct event_copy {
    int64_t id, envelope;
    uint8_t *box;
    size_t len;
} event_copy;

/* The next batch of events after `after`, copied out of SQLite's hands. */
static mlv_vdb_status event_batch(mlv_vdb *db, int64_t after, event_copy *out, size_t *n)
{
    sqlite3_stmt *st = mlv_vdb_i_prepare(db, "SELECT id, envelope, box FROM events WHERE id > ? ORDER BY id LIMIT ?");
    mlv_vdb_status rc = MLV_VDB_OK;
    int step;

    *n = 0;
    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, RESEAL_BATCH);
    while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < RESEAL_BATCH) {
        event_copy *e = &out[*n];
        int len = sqlite3_column_bytes(st, 2);

        e->id = sqlite3_column_int64(st, 0);
        e->envelope = sqlite3_column_int64(st, 1);
        e->len = len > 0 ? (size_t)len : 0;
        if ((e->box = malloc(e->len > 0 ? e->len : 1u)) == NULL) {
            mlv_vdb_i_reason(db->reason, "out of memory");
            rc = MLV_VDB_ERROR;
            break;
        }
        if (e->len > 0)
            memcpy(e->box, sqlite3_column_blob(st, 2), e->len);
        (*n)++;
    }
    if (rc == MLV_VDB_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = mlv_vdb_i_fail(db, "reading triage events");
    sqlite3_finalize(st);
    return rc;
}

mlv_vdb_status mlv_vdb_event_reseal(mlv_vdb *db, mlv_vdb_reseal_fn fn, void *ctx)
{
    event_copy *batch = calloc(RESEAL_BATCH, sizeof *batch);
    sqlite3_stmt *upd = mlv_vdb_i_prepare(db, "UPDATE events SET box = ? WHERE id = ?");
    mlv_vdb_status rc = batch != NULL && upd != NULL ? MLV_VDB_OK : MLV_VDB_ERROR;
    int64_t after = 0;
    size_t n = 0;

    while (rc == MLV_VDB_OK && (rc = event_batch(db, after, batch, &n)) == MLV_VDB_OK && n > 0) {
        for (size_t i = 0; i < n && rc == MLV_VDB_OK; i++) {
            uint8_t *box = NULL;
            size_t len = 0;

            if (fn(ctx, batch[i].envelope, batch[i].box, batch[i].len, &box, &len) != 0) {
                rc = MLV_VDB_REFUSED;
                break;
            }
            sqlite3_bind_blob(upd, 1, box, (int)len, SQLITE_STATIC);
            sqlite3_bind_int64(upd, 2, batch[i].id);
            if (sqlite3_step(upd) != SQLITE_DONE)
                rc = mlv_vdb_i_fail(db, "re-sealing a triage event");
            sqlite3_reset(upd);
            free(box);
        }
        after = batch[n - 1].id;
        for (size_t i = 0; i < n; i++)
            free(batch[i].box);
        n = 0;
    }
    for (size_t i = 0; i < n; i++)
        free(batch[i].box);
    sqlite3_finalize(upd);
    free(batch);
    return rc;
}

mlv_vdb_status mlv_vdb_env_delete(mlv_vdb *db, int64_t id)
{
    sqlite3_stmt *st = mlv_vdb_i_prepare(db, "DELETE FROM payload_chunks WHERE envelope = ?");
    mlv_vdb_status rc;

    if (st == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_int64(st, 1, id);
    if ((rc = mlv_vdb_i_run(db, st, "deleting a testimony")) != MLV_VDB_OK)
        return rc;
    if ((st = mlv_vdb_i_prepare(db, "UPDATE envelopes SET header = x'', file_key_box = NULL WHERE id = ?")) == NULL)
        return MLV_VDB_ERROR;
    sqlite3_bind_int64(st, 1, id);
    if ((rc = mlv_vdb_i_run(db, st, "deleting a testimony")) != MLV_VDB_OK)
        return rc;
    if (sqlite3_changes(db->h) != 1)
        return MLV_VDB_NOT_FOUND;
    /* A literal: PRAGMA takes no parameters. */
    _Static_assert(MLV_VDB_VERSION_DELETES == 2, "the statement below spells the version out");
    return sqlite3_exec(db->h, "PRAGMA user_version = 2", NULL, NULL, NULL) == SQLITE_OK
               ? MLV_VDB_OK
               : mlv_vdb_i_fail(db, "marking the vault's format");
}

/* ---- drop-boxes ------------------------------------------------------------ */

mlv_vdb_status mlv_vdb_dropbox_known(mlv_vdb *db, const char *fingerprint, int *known, size_t *count)
{
    sqlite3_stmt *st = mlv_vdb_i_prepare(db, "SELECT COUNT(*), COALESCE(SUM(key = ?), 0) FROM vault_info "
                                             "WHERE substr(key, 1, 8) = '" DROPBOX_PREFIX "'");
    char key[sizeof DROPBOX_PREFIX + MLV_FINGERPRINT_STR_BYTES];
    mlv_vdb_status rc = MLV_VDB_OK;

    _Static_assert(sizeof DROPBOX_PREFIX - 1u == 8u, "the prefix's length above");
    *known = 0;
    *count = 0;
    if (st == NULL)
        return MLV_VDB_ERROR;
    snprintf(key, sizeof key, DROPBOX_PREFIX "%s", fingerprint);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *count = (size_t)sqlite3_column_int64(st, 0);
        *known = sqlite3_column_int64(st, 1) > 0;
    } else {
        rc = mlv_vdb_i_fail(db, "reading the vault's drop-boxes");
    }
    sqlite3_finalize(st);
    return rc;
}

mlv_vdb_status mlv_vdb_dropbox_add(mlv_vdb *db, const char *fingerprint, int64_t day)
{
    sqlite3_stmt *st = mlv_vdb_i_prepare(db, "INSERT OR IGNORE INTO vault_info (key, value) VALUES (?, ?)");
    char key[sizeof DROPBOX_PREFIX + MLV_FINGERPRINT_STR_BYTES], value[24];

    if (st == NULL)
        return MLV_VDB_ERROR;
    snprintf(key, sizeof key, DROPBOX_PREFIX "%s", fingerprint);
    snprintf(value, sizeof value, "%lld", (long long)day);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    return mlv_vdb_i_run(db, st, "noting the drop-box");
}

/* ---- backup ---------------------------------------------------------------- */

static int census(sqlite3 *h, mlv_vdb_census *c)
{
    int ok[5];

    c->testimonies = mlv_vdb_i_int(h, "SELECT COUNT(*) FROM envelopes WHERE length(header) > 0", &ok[0]);
    c->deleted = mlv_vdb_i_int(h, "SELECT COUNT(*) FROM envelopes WHERE length(header) = 0", &ok[1]);
    c->keys = mlv_vdb_i_int(h, "SELECT COUNT(*) FROM editor_keys", &ok[2]);
    c->events = mlv_vdb_i_int(h, "SELECT COUNT(*) FROM events", &ok[3]);
    c->replies = mlv_vdb_i_int(h, "SELECT COUNT(*) FROM replies", &ok[4]);
    return ok[0] && ok[1] && ok[2] && ok[3] && ok[4] ? 0 : -1;
}

mlv_vdb_status mlv_vdb_check(const char *path, mlv_vdb_census *out, char reason[MLV_VDB_REASON_BYTES])
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    struct stat sb;
    mlv_vdb_status rc = MLV_VDB_REFUSED;
    int64_t version;
    int ok;

    memset(out, 0, sizeof *out);
    if (lstat(path, &sb) != 0) {
        mlv_vdb_i_reason(reason, "cannot read '%s': %s", path, strerror(errno));
        return MLV_VDB_ERROR;
    }
    if (!S_ISREG(sb.st_mode)) {
        mlv_vdb_i_reason(reason, "'%s' is not a file", path);
        return MLV_VDB_ERROR;
    }
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        mlv_vdb_i_reason(reason, "cannot open '%s': %s", path, mlv_vdb_i_plain(h));
        rc = MLV_VDB_ERROR;
        goto out;
    }
    /* Every page, every index against its table: what a restore needs. */
    if (sqlite3_prepare_v2(h, "PRAGMA integrity_check(1)", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW || sqlite3_column_text(st, 0) == NULL ||
        strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        mlv_vdb_i_reason(reason, "'%s' is damaged: do not restore from it", path);
        goto out;
    }
    if (mlv_vdb_i_int(h, "PRAGMA application_id", &ok) != MLV_VDB_APP_ID || !ok) {
        mlv_vdb_i_reason(reason, "'%s' is not a Malyava vault", path);
        goto out;
    }
    version = mlv_vdb_i_int(h, "PRAGMA user_version", &ok);
    if (!ok || version < MLV_VDB_VERSION_FIRST || version > MLV_VDB_VERSION_DELETES) {
        mlv_vdb_i_reason(reason, "'%s' has a format version this malyava does not read", path);
        goto out;
    }
    if (census(h, out) != 0) {
        mlv_vdb_i_reason(reason, "'%s' cannot be counted: %s", path, mlv_vdb_i_plain(h));
        goto out;
    }
    rc = MLV_VDB_OK;
out:
    sqlite3_finalize(st);
    sqlite3_close(h);
    return rc;
}

/* Copies every page of the vault into the file at `tmp`. */
static mlv_vdb_status copy_pages(mlv_vdb *db, const char *tmp)
{
    sqlite3 *out = NULL;
    sqlite3_backup *b = NULL;
    mlv_vdb_status rc = MLV_VDB_ERROR;
    int step = SQLITE_ERROR;

    if (sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        mlv_vdb_i_reason(db->reason, "cannot write '%s': %s", tmp, mlv_vdb_i_plain(out));
        goto out;
    }
    if ((b = sqlite3_backup_init(out, "main", db->h, "main")) == NULL) {
        mlv_vdb_i_reason(db->reason, "cannot start the copy: %s", mlv_vdb_i_plain(out));
        goto out;
    }
    step = sqlite3_backup_step(b, -1);
    if (sqlite3_backup_finish(b) != SQLITE_OK || step != SQLITE_DONE) {
        mlv_vdb_i_reason(db->reason, "cannot copy the vault: %s", mlv_vdb_i_plain(out));
        goto out;
    }
    rc = MLV_VDB_OK;
out:
    if (sqlite3_close(out) != SQLITE_OK && rc == MLV_VDB_OK) {
        mlv_vdb_i_reason(db->reason, "cannot finish '%s'", tmp);
        rc = MLV_VDB_ERROR;
    }
    return rc;
}

static int same_census(const mlv_vdb_census *a, const mlv_vdb_census *b)
{
    return a->testimonies == b->testimonies && a->deleted == b->deleted && a->keys == b->keys &&
           a->events == b->events && a->replies == b->replies;
}

mlv_vdb_status mlv_vdb_backup(mlv_vdb *db, const char *path, mlv_vdb_census *copy)
{
    char tmp[PATH_MAX];
    mlv_vdb_census here;
    struct stat sb;
    mlv_vdb_status rc = MLV_VDB_ERROR;
    int fd, reading = 0, made = 0;

    memset(copy, 0, sizeof *copy);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.partial", path) >= sizeof tmp) {
        mlv_vdb_i_reason(db->reason, "the backup's path is too long");
        return MLV_VDB_ERROR;
    }
    if (lstat(path, &sb) == 0 || errno != ENOENT) {
        mlv_vdb_i_reason(db->reason, "'%s' exists; a backup never replaces a file: choose a new name", path);
        return MLV_VDB_ERROR;
    }
    /* A leftover of a copy cut short is ours to replace. */
    if (unlink(tmp) != 0 && errno != ENOENT) {
        mlv_vdb_i_reason(db->reason, "cannot remove the leftover '%s': %s", tmp, strerror(errno));
        return MLV_VDB_ERROR;
    }
    if ((fd = mlv_file_create(tmp)) < 0) {
        mlv_vdb_i_reason(db->reason, "cannot create '%s': %s", tmp, strerror(errno));
        return MLV_VDB_ERROR;
    }
    close(fd);
    made = 1;
    /* One read of the vault for the counts and the copy: what the copy is
     * compared with is what it was copied from. */
    if (sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db->h, "SELECT 1 FROM vault_info LIMIT 1", NULL, NULL, NULL) != SQLITE_OK) {
        mlv_vdb_i_fail(db, "reading the vault");
        goto out;
    }
    reading = 1;
    if (census(db->h, &here) != 0) {
        mlv_vdb_i_fail(db, "counting what the vault holds");
        goto out;
    }
    if (copy_pages(db, tmp) != MLV_VDB_OK)
        goto out;
    sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
    reading = 0;
    if ((fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fsync(fd) != 0) {
        mlv_vdb_i_reason(db->reason, "cannot make '%s' durable: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    close(fd);
    if (mlv_vdb_check(tmp, copy, db->reason) != MLV_VDB_OK)
        goto out;
    if (!same_census(&here, copy)) {
        mlv_vdb_i_reason(db->reason, "the copy does not hold what the vault holds; nothing was kept");
        goto out;
    }
    /* link() never replaces: a file that appeared meanwhile stays. */
    if (link(tmp, path) != 0 || mlv_file_sync_parent(path) != 0) {
        mlv_vdb_i_reason(db->reason, "cannot name the backup '%s': %s", path,
                         errno == EEXIST ? "a file of that name appeared meanwhile" : strerror(errno));
        goto out;
    }
    rc = MLV_VDB_OK;
out:
    if (reading)
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    if (made)
        unlink(tmp);
    return rc;
}
