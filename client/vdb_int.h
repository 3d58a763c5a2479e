/*
 * Inside the editors' SQL layer: what vdb.c and vdb_upkeep.c share and no
 * caller sees. Together they are malyava's one SQL layer (vdb.h); the
 * upkeep of the vault (re-keying, deleting, the backup, the drop-box it
 * takes bundles from) lives apart only to keep each file to one job.
 */
#ifndef MALYAVA_CLIENT_VDB_INT_H
#define MALYAVA_CLIENT_VDB_INT_H

#include <sqlite3.h>

#include "vdb.h"

#define MLV_VDB_APP_ID 1296848470 /* 'MLVV' */
/* Format 1, and format 2 once the vault holds a deleted testimony
 * (docs/FORMAT.md §6): an older malyava then refuses it plainly instead
 * of calling the new event kind damage. */
#define MLV_VDB_VERSION_FIRST 1
#define MLV_VDB_VERSION_DELETES 2

struct mlv_vdb {
    sqlite3 *h;
    sqlite3_stmt *payload; /* prepared once: read for every envelope listed */
    char reason[MLV_VDB_REASON_BYTES];
};

void mlv_vdb_i_reason(char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* What went wrong with connection `h`, in the editor's words: never
 * SQLite's own message, which speaks of databases, journals and locks. */
const char *mlv_vdb_i_plain(sqlite3 *h);
/* Sets db->reason to "DOING: <plain words>" and returns MLV_VDB_ERROR. */
mlv_vdb_status mlv_vdb_i_fail(mlv_vdb *db, const char *doing);
sqlite3_stmt *mlv_vdb_i_prepare(mlv_vdb *db, const char *sql);
/* Runs a statement that returns no rows, then finalizes it. */
mlv_vdb_status mlv_vdb_i_run(mlv_vdb *db, sqlite3_stmt *st, const char *doing);
/* One integer from a statement without parameters; *ok 0 if it failed. */
int64_t mlv_vdb_i_int(sqlite3 *h, const char *sql, int *ok);

#endif
