/*
 * The host-side twins of the editors' routes: export, ack,
 * import-replies. They run beside a serving process on the same data
 * directory, as the other admin commands do.
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
#include <malyava/keyfile.h>
#include <malyava/keyid.h>
#include <malyava/manifest.h>

#include "airgap.h"
#include "commands.h"
#include "db.h"
#include "log.h"
#include "store.h"

/* The data directory's store and database, or -1 after saying why. */
static int open_data(const char *dir, mlv_store *store, mlv_db **db)
{
    char path[PATH_MAX];

    if (mlv_store_open(dir, store) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s", dir, MLV_STORE_DB);
    return mlv_db_open(path, 0, db) == MLV_DB_OK ? 0 : -1;
}

/*
 * Makes the finished bundle at `tmp` appear as `path`, never replacing a
 * file that appeared there meanwhile. RENAME_NOREPLACE is refused by a
 * few file systems; there the name was checked free at the start.
 */
static int publish(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL)
        return -1;
    return rename(tmp, path);
}

/* The fingerprint of the data directory's organisation key: what names
 * the drop-box in its bundles. */
static int org_fingerprint(const char *dir, char out[MLV_FINGERPRINT_STR_BYTES])
{
    char path[PATH_MAX];
    mlv_org_public org;
    mlv_key_status st;

    snprintf(path, sizeof path, "%s/%s", dir, MLV_STORE_ORG_KEY);
    st = mlv_key_org_public_load(path, &org);
    if (st != MLV_KEY_OK) {
        mlv_log_msg("cannot read the organisation key '%s': %s", path, mlv_key_strerror(st));
        return -1;
    }
    mlv_keyid_fingerprint(out, org.pk, sizeof org.pk);
    return 0;
}

int mlv_cmd_export(int argc, char **argv)
{
    mlv_store store = { -1, -1, -1 };
    mlv_db_export_report rep;
    mlv_db *db = NULL;
    char tmp[PATH_MAX], org[MLV_FINGERPRINT_STR_BYTES];
    struct stat sb;
    int fd, rc = 1, made = 0;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: malyava-dropbox export DATA_DIR -o FILE\n"
               "Writes every received submission not yet acked into the export bundle FILE (new, 0600).\n");
        return 0;
    }
    if (argc != 4 || argv[1][0] == '-' || strcmp(argv[2], "-o") != 0)
        return mlv_cmd_usage_error("export needs DATA_DIR -o FILE");
    if (lstat(argv[3], &sb) == 0 || errno != ENOENT) {
        mlv_log_msg("'%s' already exists; choose a new file name", argv[3]);
        return 1;
    }
    /* The bundle is written beside FILE under a name of its own and takes
     * FILE's name only once whole and durable: an export cut short (killed,
     * out of space) never leaves a file that looks like a bundle. A
     * leftover of such an export is ours to remove. */
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.partial", argv[3]) >= sizeof tmp)
        return mlv_cmd_usage_error("export: the file name is too long");
    if (org_fingerprint(argv[1], org) != 0 || open_data(argv[1], &store, &db) != 0)
        goto out;
    if (unlink(tmp) != 0 && errno != ENOENT) {
        mlv_log_msg("cannot remove the leftover '%s': %s", tmp, strerror(errno));
        goto out;
    }
    fd = mlv_file_create(tmp);
    if (fd < 0) {
        mlv_log_msg("cannot create '%s': %s; choose another directory", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    made = 1;
    if (mlv_db_export_write(db, &store, tmp, mlv_day_today(), org, &rep) != MLV_DB_OK)
        goto out;
    fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        mlv_log_msg("cannot make '%s' durable: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    close(fd);
    if (publish(tmp, argv[3]) != 0) {
        mlv_log_msg("cannot name the bundle '%s': %s; choose a new file name", argv[3],
                    errno == EEXIST ? "a file of that name appeared meanwhile" : strerror(errno));
        goto out;
    }
    made = 0;
    if (mlv_file_sync_parent(argv[3]) != 0) {
        mlv_log_msg("cannot make '%s' durable: %s", argv[3], strerror(errno));
        goto out;
    }
    printf("malyava-dropbox: exported %llu submissions (%llu bytes) to %s\n", (unsigned long long)rep.submissions,
           (unsigned long long)rep.bytes, argv[3]);
    if (rep.left > 0)
        printf("%llu more wait for the next export, after the editors' ack\n", (unsigned long long)rep.left);
    if (rep.skipped > 0)
        printf("%llu could not be read or no longer match their receipt; see the messages above\n",
               (unsigned long long)rep.skipped);
    rc = 0;
out:
    if (made)
        unlink(tmp);
    mlv_db_close(db);
    mlv_store_close(&store);
    return rc;
}

static void print_unknown(void *ctx, const mlv_ack_entry *e)
{
    (void)ctx;
    printf("not purged (unknown id, or its receipt differs): %s\n", e->id);
}

int mlv_cmd_ack(int argc, char **argv)
{
    mlv_store store = { -1, -1, -1 };
    mlv_ack_entry *entries = NULL;
    uint8_t *text = NULL;
    uint64_t purged = 0, unknown = 0;
    mlv_db *db = NULL;
    size_t len = 0, n = 0;
    char why[160];
    int rc = 1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: malyava-dropbox ack DATA_DIR ACKFILE\n"
               "Purges exactly the submissions ACKFILE (written by `malyava import`) names with their receipt.\n");
        return 0;
    }
    if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
        return mlv_cmd_usage_error("ack needs DATA_DIR and ACKFILE");
    if (mlv_file_read_small(argv[2], MLV_SRV_MAX_ACK_BYTES, &text, &len) != 0) {
        mlv_log_msg("cannot read ack file '%s': %s", argv[2], errno == EFBIG ? "too large to be one" : strerror(errno));
        goto out;
    }
    if (mlv_airgap_ack_parse((const char *)text, len, &entries, &n, why, sizeof why) != 0) {
        mlv_log_msg("'%s' is not an ack file: %s; nothing was purged", argv[2], why);
        goto out;
    }
    if (open_data(argv[1], &store, &db) != 0)
        goto out;
    if (mlv_airgap_ack_apply(db, &store, entries, n, &purged, &unknown, print_unknown, NULL) != 0) {
        mlv_log_msg("the purge stopped on a storage error after %llu submissions; run ack again",
                    (unsigned long long)purged);
        goto out;
    }
    printf("purged %llu, unknown %llu\n", (unsigned long long)purged, (unsigned long long)unknown);
    rc = 0;
out:
    free(entries);
    free(text);
    mlv_db_close(db);
    mlv_store_close(&store);
    return rc;
}

int mlv_cmd_import_replies(int argc, char **argv)
{
    mlv_store store = { -1, -1, -1 };
    mlv_db_import_report rep;
    mlv_db_status dst;
    mlv_db *db = NULL;
    int rc = 1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: malyava-dropbox import-replies DATA_DIR FILE\n"
               "Checks the replies bundle FILE (from `malyava export-replies`) and stores its sealed replies.\n");
        return 0;
    }
    if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
        return mlv_cmd_usage_error("import-replies needs DATA_DIR and FILE");
    if (open_data(argv[1], &store, &db) != 0)
        goto out;
    dst = mlv_db_replies_import(db, argv[2], mlv_day_today(), &rep);
    if (dst == MLV_DB_REFUSED)
        mlv_log_msg("replies bundle '%s' refused: %s; nothing was stored", argv[2], rep.reason);
    if (dst != MLV_DB_OK)
        goto out;
    printf("stored %llu, already present %llu\n", (unsigned long long)rep.stored, (unsigned long long)rep.present);
    rc = 0;
out:
    mlv_db_close(db);
    mlv_store_close(&store);
    return rc;
}
