/*
 * A replies bundle carried from the editors to the server
 * (mlv_db_replies_import in dropbox/db.c, docs/FORMAT.md §4): an SQLite
 * file, checked whole before any reply is stored. The input is the file;
 * it goes through the same path the `import-replies` command and route
 * take, into a real server database in a private directory (on /dev/shm
 * when there is one, so the database's fsyncs cost nothing).
 *
 * Promises checked: refused stores nothing and says why; accepted stores
 * or skips every row; importing the same file again stores nothing new.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <malyava/fileio.h>

#include "db.h"
#include "fuzz.h"
#include "store.h"

static char tmp_dir[64];
static char bundle_path[sizeof tmp_dir + 16], db_path[sizeof tmp_dir + 16];
static mlv_db *db;

static void remove_db_files(void)
{
    static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
    char p[sizeof db_path + 16];

    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        snprintf(p, sizeof p, "%s%s", db_path, ext[i]);
        unlink(p);
    }
}

/* A fresh server database: stored replies from earlier inputs would
 * make "stored" and "present" depend on the order of inputs. */
static void fresh_db(void)
{
    mlv_db_close(db);
    db = NULL;
    remove_db_files();
    FUZZ_ASSERT(mlv_db_open(db_path, 1, &db) == MLV_DB_OK);
}

static void remove_tmp(void)
{
    mlv_db_close(db);
    db = NULL;
    remove_db_files();
    unlink(bundle_path);
    rmdir(tmp_dir);
}

void mlv_fuzz_harness_init(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "%s/malyava-fuzz-replies-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (mkdtemp(tmp_dir) == NULL) {
        perror("fuzz: mkdtemp");
        abort();
    }
    snprintf(bundle_path, sizeof bundle_path, "%s/bundle", tmp_dir);
    snprintf(db_path, sizeof db_path, "%s/%s", tmp_dir, MLV_STORE_DB);
    atexit(remove_tmp);
    fresh_db();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mlv_db_import_report rep, again;
    mlv_db_status st;
    int fd;

    unlink(bundle_path);
    fd = mlv_file_create(bundle_path);
    FUZZ_ASSERT(fd >= 0 && mlv_file_write_all(fd, data, size) == 0 && close(fd) == 0);

    st = mlv_db_replies_import(db, bundle_path, MLV_FUZZ_TODAY, &rep);
    FUZZ_ASSERT(st == MLV_DB_OK || st == MLV_DB_REFUSED);
    if (st == MLV_DB_REFUSED) {
        FUZZ_ASSERT(rep.stored == 0 && rep.present == 0);
        FUZZ_ASSERT(rep.reason[0] != '\0' && memchr(rep.reason, '\0', sizeof rep.reason) != NULL);
        return 0;
    }
    FUZZ_ASSERT(rep.stored + rep.present <= MLV_BUNDLE_MAX_REPLIES);
    /* Twice is harmless: everything is already there. */
    FUZZ_ASSERT(mlv_db_replies_import(db, bundle_path, MLV_FUZZ_TODAY, &again) == MLV_DB_OK);
    FUZZ_ASSERT(again.stored == 0 && again.present == rep.stored + rep.present);
    if (rep.stored > 0)
        fresh_db();
    return 0;
}
