/*
 * The sources' reply accounts (see db.h): BLAKE2b-256 of the login token,
 * the reply public key and one day. Replies are kept by reply key, not by
 * account, so an account that no reply waits for holds nothing: deleting
 * it loses nothing, and registering again links the source back to every
 * reply sent since. That is what lets an account with no reply expire on a
 * fixed day whatever its owner does, and give its place to a new source
 * when the table is full.
 */
#include <stdlib.h>
#include <string.h>

#include <malyava/limits.h>

#include "db_sql.h"

/* SQL: no reply waits for the account `a`. */
#define NO_REPLY_FOR(a) "NOT EXISTS (SELECT 1 FROM replies r WHERE r.reply_key = " a ".reply_key)"

/* 1 when the exact pair is registered, 0 when neither half is, CONFLICT
 * when one half is registered with another. */
static int account_state(mlv_db *db, const uint8_t *token_hash, const uint8_t *reply_key, mlv_db_status *rc)
{
    sqlite3_stmt *st = mlv_db_sql_prepare(db, "SELECT token_hash = ?1 AND reply_key = ?2 FROM reply_accounts "
                                              "WHERE token_hash = ?1 OR reply_key = ?2");
    int step, found = 0;

    *rc = MLV_DB_ERROR;
    if (st == NULL)
        return -1;
    sqlite3_bind_blob(st, 1, token_hash, MLV_DB_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, reply_key, MLV_DB_REPLY_KEY_BYTES, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 0) != 1)
            *rc = MLV_DB_CONFLICT;
        found = 1;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE || *rc == MLV_DB_CONFLICT)
        return -1;
    *rc = MLV_DB_OK;
    return found;
}

static int count_accounts(mlv_db *db, int64_t *out)
{
    sqlite3_stmt *st = mlv_db_sql_prepare(db, "SELECT COUNT(*) FROM reply_accounts");
    int rc = -1;

    if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Makes room for `n` accounts: deletes the oldest ones no reply waits
 * for (by day, then by the random token hash). 0, or -1 with *full set
 * when too few such accounts exist. */
static int evict(mlv_db *db, int64_t n, int *full)
{
    sqlite3_stmt *st = mlv_db_sql_prepare(db, "DELETE FROM reply_accounts WHERE token_hash IN ("
                                              "SELECT token_hash FROM reply_accounts a WHERE " NO_REPLY_FOR("a")
                                              " ORDER BY last_active_day, token_hash LIMIT ?)");
    int rc = -1;

    *full = 0;
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, n);
    if (sqlite3_step(st) == SQLITE_DONE) {
        *full = sqlite3_changes(db->h) != n;
        rc = *full ? -1 : 0;
    }
    sqlite3_finalize(st);
    return rc;
}

mlv_db_status mlv_db_account_register(mlv_db *db, const uint8_t token_hash[MLV_DB_HASH_BYTES],
                                      const uint8_t reply_key[MLV_DB_REPLY_KEY_BYTES], int64_t today,
                                      uint64_t max_accounts)
{
    sqlite3_stmt *st = NULL;
    mlv_db_status rc = MLV_DB_ERROR;
    int64_t count;
    int exists, full = 0;

    pthread_mutex_lock(&db->lock);
    count = db->accounts;
    if (mlv_db_sql_exec(db, "BEGIN IMMEDIATE") != 0)
        goto out;
    /* Registered already: nothing changes, not even the day, so
     * registering again keeps no account alive. */
    exists = account_state(db, token_hash, reply_key, &rc);
    if (exists != 0) {
        if (exists == 1 && mlv_db_sql_exec(db, "COMMIT") != 0)
            rc = MLV_DB_ERROR;
        goto out;
    }
    rc = MLV_DB_ERROR;
    if (count < 0 && count_accounts(db, &count) != 0)
        goto out;
    if ((uint64_t)count >= max_accounts) {
        if (evict(db, count - (int64_t)max_accounts + 1, &full) != 0) {
            rc = full ? MLV_DB_FULL_COUNT : MLV_DB_ERROR;
            goto out;
        }
        count = (int64_t)max_accounts - 1;
    }
    st = mlv_db_sql_prepare(db, "INSERT INTO reply_accounts (token_hash, reply_key, last_active_day) VALUES (?, ?, ?)");
    if (st == NULL)
        goto out;
    sqlite3_bind_blob(st, 1, token_hash, MLV_DB_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, reply_key, MLV_DB_REPLY_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, today);
    if (sqlite3_step(st) != SQLITE_DONE || mlv_db_sql_exec(db, "COMMIT") != 0)
        goto out;
    db->accounts = count + 1;
    rc = MLV_DB_OK;
out:
    if (rc == MLV_DB_ERROR)
        mlv_db_sql_fail(db, "registering a reply account");
    sqlite3_finalize(st);
    if (rc != MLV_DB_OK)
        mlv_db_sql_exec(db, "ROLLBACK");
    if (rc == MLV_DB_ERROR)
        db->accounts = -1; /* counted again next time */
    pthread_mutex_unlock(&db->lock);
    return rc;
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Appends one reply to the answer being built; -1 when out of memory. */
static int append_reply(uint8_t **buf, size_t *len, size_t *cap, const void *env, size_t n)
{
    if (*len + 4u + n > *cap) {
        size_t ncap = *cap == 0 ? 64u * 1024u : *cap;
        uint8_t *grown;
        while (ncap < *len + 4u + n)
            ncap *= 2u;
        grown = realloc(*buf, ncap);
        if (grown == NULL)
            return -1;
        *buf = grown;
        *cap = ncap;
    }
    put_u32le(*buf + *len, (uint32_t)n);
    memcpy(*buf + *len + 4u, env, n);
    *len += 4u + n;
    return 0;
}

mlv_db_status mlv_db_replies_fetch(mlv_db *db, const uint8_t token_hash[MLV_DB_HASH_BYTES], int64_t today,
                                   uint8_t **out, size_t *out_len, size_t *count)
{
    sqlite3_stmt *st = NULL;
    uint8_t key[MLV_DB_REPLY_KEY_BYTES], *buf = NULL;
    size_t len = 4, cap = 0, nkey = 0;
    mlv_db_status rc = MLV_DB_ERROR;
    int step;

    *out = NULL;
    *out_len = 0;
    *count = 0;
    pthread_mutex_lock(&db->lock);
    if (mlv_db_sql_exec(db, "BEGIN IMMEDIATE") != 0)
        goto out;
    st = mlv_db_sql_prepare(db, "SELECT reply_key FROM reply_accounts WHERE token_hash = ?");
    if (st == NULL)
        goto out;
    sqlite3_bind_blob(st, 1, token_hash, MLV_DB_HASH_BYTES, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_bytes(st, 0) == MLV_DB_REPLY_KEY_BYTES) {
        memcpy(key, sqlite3_column_blob(st, 0), sizeof key);
        nkey = sizeof key;
    } else if (step != SQLITE_DONE) {
        goto out;
    }
    sqlite3_finalize(st);
    /* An unknown token runs the same query with a key no reply has (the
     * empty blob) and ends as an account without replies does: same
     * answer, same work, nothing written. */
    st = mlv_db_sql_prepare(db, "SELECT envelope FROM replies WHERE reply_key = ? ORDER BY created_day DESC, id LIMIT ?");
    if (st == NULL)
        goto out;
    sqlite3_bind_blob(st, 1, key, (int)nkey, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, MLV_SRV_FETCH_MAX_REPLIES);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const void *env = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        if (n <= 0 || (size_t)n > MLV_REPLY_MAX_BYTES)
            continue;
        if (len + 4u + (size_t)n > MLV_SRV_FETCH_MAX_BYTES)
            break;
        if (append_reply(&buf, &len, &cap, env, (size_t)n) != 0)
            goto out;
        (*count)++;
    }
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        goto out;
    sqlite3_finalize(st);
    st = NULL;
    /* A source who read replies gets reply_account_days more. */
    if (*count > 0) {
        st = mlv_db_sql_prepare(db, "UPDATE reply_accounts SET last_active_day = ? WHERE token_hash = ?");
        if (st == NULL)
            goto out;
        sqlite3_bind_int64(st, 1, today);
        sqlite3_bind_blob(st, 2, token_hash, MLV_DB_HASH_BYTES, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
    }
    if (mlv_db_sql_exec(db, "COMMIT") != 0)
        goto out;
    if (*count > 0) {
        put_u32le(buf, (uint32_t)*count);
        *out = buf;
        *out_len = len;
        buf = NULL;
    }
    rc = MLV_DB_OK;
out:
    if (rc == MLV_DB_ERROR) {
        mlv_db_sql_fail(db, "fetching replies");
        mlv_db_sql_exec(db, "ROLLBACK");
        *count = 0;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    free(buf);
    return rc;
}

mlv_db_status mlv_db_retention(mlv_db *db, int64_t idle_before, int64_t old_before, mlv_db_retention_report *rep)
{
    /* An account is idle when its day and its newest reply are both older
     * than idle_before; its replies go with it (first, while the account
     * still names their key). */
#define IDLE(a) a ".last_active_day < ?1 AND NOT EXISTS (SELECT 1 FROM replies r WHERE r.reply_key = " a \
                ".reply_key AND r.created_day >= ?1)"
    static const char *const sql[] = {
        "DELETE FROM replies WHERE reply_key IN (SELECT a.reply_key FROM reply_accounts a WHERE " IDLE("a") ")",
        "DELETE FROM reply_accounts WHERE " IDLE("reply_accounts"),
        "DELETE FROM replies WHERE created_day < ?1",
    };
#undef IDLE
    sqlite3_stmt *st = NULL;
    mlv_db_status rc = MLV_DB_ERROR;

    memset(rep, 0, sizeof *rep);
    pthread_mutex_lock(&db->lock);
    if (mlv_db_sql_exec(db, "BEGIN IMMEDIATE") != 0)
        goto out;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        st = mlv_db_sql_prepare(db, sql[i]);
        if (st == NULL)
            goto out;
        sqlite3_bind_int64(st, 1, i < 2 ? idle_before : old_before);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
        if (i == 1)
            rep->accounts += (uint64_t)sqlite3_changes(db->h);
        else
            rep->replies += (uint64_t)sqlite3_changes(db->h);
        sqlite3_finalize(st);
        st = NULL;
    }
    if (mlv_db_sql_exec(db, "COMMIT") != 0)
        goto out;
    rc = MLV_DB_OK;
out:
    if (rc != MLV_DB_OK) {
        mlv_db_sql_fail(db, "deleting expired reply accounts and replies");
        mlv_db_sql_exec(db, "ROLLBACK");
    }
    db->accounts = -1; /* counted again at the next registration */
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}
