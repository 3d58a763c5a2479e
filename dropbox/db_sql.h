/*
 * Inside the database module (db.h): what its two files share. db.c
 * holds the schema, uploads, submissions, manifests and bundles;
 * db_accounts.c the sources' reply accounts. Nothing else includes this.
 */
#ifndef MALYAVA_DROPBOX_DB_SQL_H
#define MALYAVA_DROPBOX_DB_SQL_H

#include <pthread.h>
#include <stdint.h>

#include <sqlite3.h>

#include "db.h"

struct mlv_db {
    sqlite3 *h;
    pthread_mutex_t lock;
    /* Reply accounts, counted once and then kept up to date here (only
     * the server adds or removes them): counting a million rows for every
     * registration would hand a flood 40 ms of the lock each. -1: not yet
     * counted. */
    int64_t accounts;
};

/* Logs what failed; MLV_DB_ERROR. */
mlv_db_status mlv_db_sql_fail(mlv_db *db, const char *what);
/* 0 or -1 */
int mlv_db_sql_exec(mlv_db *db, const char *sql);
/* NULL (logged) on failure. */
sqlite3_stmt *mlv_db_sql_prepare(mlv_db *db, const char *sql);

#endif
