/*
 * The administrator's commands: init, install-manifest, stats. They run
 * beside a serving process on the same data directory; SQLite's locking
 * and atomic renames keep them from tearing its state.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/manifest.h>

#include "commands.h"
#include "db.h"
#include "listen.h"
#include "log.h"
#include "store.h"
#include "trust.h"

typedef struct signed_file {
    char *text, *sig;
    size_t text_len, sig_len;
} signed_file;

static void signed_file_clear(signed_file *f)
{
    free(f->text);
    free(f->sig);
    memset(f, 0, sizeof *f);
}

static int read_text(const char *path, const char *what, char **out, size_t *len)
{
    uint8_t *buf = NULL;

    if (mlv_file_read_small(path, MLV_MAX_SMALL_FILE_BYTES, &buf, len) != 0) {
        mlv_log_msg("cannot read %s '%s': %s", what, path, errno == EFBIG ? "too large to be one" : strerror(errno));
        return -1;
    }
    *out = (char *)buf;
    return 0;
}

static int read_org(const char *path, mlv_org_public *org, char **text, size_t *len)
{
    mlv_man_status st;

    if (read_text(path, "organisation key", text, len) != 0)
        return -1;
    st = mlv_org_public_parse(*text, *len, org);
    if (st != MLV_MAN_OK) {
        mlv_log_msg("'%s' is not an organisation public key: %s", path, mlv_man_strerror(st));
        return -1;
    }
    return 0;
}

/* FILE and FILE.minisig, verified against `org` as of today with the
 * given serial floor. */
static int read_manifest(const char *path, const mlv_org_public *org, uint64_t min_serial, uint64_t installed,
                         signed_file *f, mlv_manifest *m)
{
    char sig_path[PATH_MAX];
    mlv_man_status st;

    snprintf(sig_path, sizeof sig_path, "%s.minisig", path);
    if (read_text(path, "manifest", &f->text, &f->text_len) != 0 ||
        read_text(sig_path, "manifest signature", &f->sig, &f->sig_len) != 0)
        return -1;
    st = mlv_man_verify(f->text, f->text_len, f->sig, f->sig_len, org, mlv_day_from_time((int64_t)time(NULL)),
                        min_serial, m);
    if (st == MLV_MAN_ERR_ROLLBACK) {
        mlv_log_msg("manifest '%s' is not newer than the installed one (serial %llu); sign one with a higher serial",
                    path, (unsigned long long)installed);
        return -1;
    }
    if (st != MLV_MAN_OK) {
        mlv_log_msg("manifest '%s' refused: %s", path, mlv_man_strerror(st));
        return -1;
    }
    return 0;
}

static int write_copy(const char *dir, const char *name, const char *buf, size_t len, int replace)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if ((replace ? mlv_file_replace(path, buf, len) : mlv_file_write_new(path, buf, len)) != 0) {
        mlv_log_msg("cannot write '%s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* A new directory, or an existing empty one, made private. */
static int make_data_dir(const char *path)
{
    struct dirent *de;
    DIR *d;
    int fd;

    if (mkdir(path, 0700) == 0)
        return mlv_file_sync_parent(path);
    if (errno != EEXIST) {
        mlv_log_msg("cannot create data directory '%s': %s", path, strerror(errno));
        return -1;
    }
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        mlv_log_msg("'%s' exists and is not a directory (%s); choose a new path", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            mlv_log_msg("'%s' is not empty; init only fills a new or empty directory", path);
            closedir(d);
            return -1;
        }
    }
    if (fchmod(dirfd(d), 0700) != 0) {
        mlv_log_msg("cannot make '%s' private (chmod 700): %s", path, strerror(errno));
        closedir(d);
        return -1;
    }
    closedir(d);
    return 0;
}

static void init_help(void)
{
    printf("usage: malyava-dropbox init DATA_DIR --org-key ORG.pub --manifest FILE [SETTINGS]\n"
           "Verifies FILE (with FILE.minisig beside it) against ORG.pub, creates DATA_DIR\n"
           "and prints the editors' export token once. SETTINGS go into DATA_DIR/config.\n");
}

int mlv_cmd_init(int argc, char **argv)
{
    const char *data_dir = NULL, *org_path = NULL, *manifest_path = NULL;
    mlv_cmd_overrides o = { 0 };
    char *org_text = NULL, *cfg_text = NULL, *token = NULL, path[PATH_MAX];
    size_t org_len = 0, cfg_len = 0;
    signed_file f = { 0 };
    mlv_db_manifest dm;
    mlv_org_public org;
    mlv_manifest m;
    mlv_db *db = NULL;
    mlv_cfg cfg;
    int rc = 1, taken, made = 0;

    for (int i = 1; i < argc;) {
        taken = mlv_cmd_take_setting(&o, argc, argv, &i);
        if (taken < 0)
            return 2;
        if (taken > 0)
            continue;
        if (strcmp(argv[i], "--help") == 0) {
            init_help();
            return 0;
        } else if (strcmp(argv[i], "--org-key") == 0 && i + 1 < argc) {
            org_path = argv[++i];
        } else if (strcmp(argv[i], "--manifest") == 0 && i + 1 < argc) {
            manifest_path = argv[++i];
        } else if (argv[i][0] == '-' || data_dir != NULL) {
            return mlv_cmd_usage_error("init: unexpected argument '%s'", argv[i]);
        } else {
            data_dir = argv[i];
        }
        i++;
    }
    if (data_dir == NULL || org_path == NULL || manifest_path == NULL)
        return mlv_cmd_usage_error("init needs DATA_DIR, --org-key ORG.pub and --manifest FILE");
    mlv_cfg_defaults(&cfg);
    if (mlv_cmd_apply_settings(&cfg, &o) != 0 || mlv_listen_check(&cfg) != 0)
        return 2;
    if (read_org(org_path, &org, &org_text, &org_len) != 0 || read_manifest(manifest_path, &org, 0, 0, &f, &m) != 0)
        goto out;
    if (make_data_dir(data_dir) != 0)
        goto out;
    made = 1;
    if (mlv_store_create(data_dir) != 0) {
        mlv_log_msg("cannot create the directories inside '%s': %s", data_dir, strerror(errno));
        goto out;
    }
    if (mlv_cmd_token_new(&cfg, &token) != 0 || mlv_cfg_format(&cfg, &cfg_text, &cfg_len) != 0) {
        mlv_log_msg("out of memory");
        goto out;
    }
    if (write_copy(data_dir, MLV_STORE_CONFIG, cfg_text, cfg_len, 0) != 0 ||
        write_copy(data_dir, MLV_STORE_ORG_KEY, org_text, org_len, 0) != 0 ||
        write_copy(data_dir, MLV_STORE_MANIFEST, f.text, f.text_len, 0) != 0 ||
        write_copy(data_dir, MLV_STORE_MANIFEST_SIG, f.sig, f.sig_len, 0) != 0)
        goto out;
    snprintf(path, sizeof path, "%s/%s", data_dir, MLV_STORE_DB);
    if (mlv_db_open(path, 1, &db) != MLV_DB_OK)
        goto out;
    dm = (mlv_db_manifest){ m.serial, 0, f.text, f.text_len, f.sig, f.sig_len };
    if (mlv_db_manifest_install(db, &dm, mlv_day_from_time((int64_t)time(NULL))) != MLV_DB_OK)
        goto out;
    printf("malyava-dropbox: data directory %s is ready (manifest serial %llu).\n"
           "Editors' export token, shown this once (only its hash is kept); hand it to the editors:\n%s\n",
           data_dir, (unsigned long long)m.serial, token);
    rc = 0;
out:
    if (rc != 0 && made)
        mlv_log_msg("init did not finish; remove '%s' and run init again", data_dir);
    mlv_db_close(db);
    sodium_free(token);
    free(cfg_text);
    free(org_text);
    signed_file_clear(&f);
    return rc;
}

/* What becomes of envelopes sealed to the manifest just replaced (the
 * grace as mlv_trust_check counts it: the day of the install and the
 * manifest_grace_days - 1 after it). */
static void print_grace(const char *data_dir, const mlv_db_manifest *replaced, const mlv_cfg *cfg, int64_t today)
{
    char last[11];

    if (replaced->text == NULL)
        return;
    if (cfg->manifest_grace_days == 0) {
        printf("Envelopes sealed to the replaced manifest (serial %llu) are refused from the reload on "
               "(manifest_grace_days = 0).\n",
               (unsigned long long)replaced->serial);
        return;
    }
    mlv_day_format(last, today + (int64_t)cfg->manifest_grace_days - 1);
    printf("Envelopes sealed to the replaced manifest (serial %llu) are accepted through %s (manifest_grace_days = "
           "%llu), then refused.\nIf a key was removed because it was compromised, set manifest_grace_days = 0 in %s/%s\n"
           "and reload now.\n",
           (unsigned long long)replaced->serial, last, (unsigned long long)cfg->manifest_grace_days, data_dir,
           MLV_STORE_CONFIG);
}

int mlv_cmd_install_manifest(int argc, char **argv)
{
    char *org_text = NULL, path[PATH_MAX], day[11];
    size_t org_len = 0;
    signed_file f = { 0 };
    mlv_db_manifest cur = { 0 }, dm;
    mlv_org_public org;
    mlv_manifest m;
    mlv_db_status dst;
    mlv_db *db = NULL;
    mlv_cfg cfg;
    int64_t today = mlv_day_from_time((int64_t)time(NULL));
    int rc = 1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: malyava-dropbox install-manifest DATA_DIR FILE\n"
               "Installs FILE (FILE.minisig beside it) if it verifies against DATA_DIR/org.pub and its\n"
               "serial is higher. Envelopes sealed to the replaced one stay accepted for manifest_grace_days\n"
               "days from today (0: not at all); a running server applies both when reloaded (SIGHUP).\n");
        return 0;
    }
    if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
        return mlv_cmd_usage_error("install-manifest needs DATA_DIR and FILE");
    mlv_cfg_defaults(&cfg);
    snprintf(path, sizeof path, "%s/%s", argv[1], MLV_STORE_CONFIG);
    if (mlv_cfg_load(&cfg, path) != 0)
        goto out;
    snprintf(path, sizeof path, "%s/%s", argv[1], MLV_STORE_ORG_KEY);
    if (read_org(path, &org, &org_text, &org_len) != 0)
        goto out;
    snprintf(path, sizeof path, "%s/%s", argv[1], MLV_STORE_DB);
    if (mlv_db_open(path, 0, &db) != MLV_DB_OK)
        goto out;
    dst = mlv_db_manifest_get(db, MLV_DB_CURRENT, &cur);
    if (dst != MLV_DB_OK && dst != MLV_DB_NOT_FOUND)
        goto out;
    if (read_manifest(argv[2], &org, cur.serial + 1u, cur.serial, &f, &m) != 0)
        goto out;
    dm = (mlv_db_manifest){ m.serial, 0, f.text, f.text_len, f.sig, f.sig_len };
    dst = mlv_db_manifest_install(db, &dm, today);
    if (dst == MLV_DB_ROLLBACK)
        mlv_log_msg("another manifest with serial %llu or higher was installed meanwhile; nothing changed",
                    (unsigned long long)m.serial);
    if (dst != MLV_DB_OK)
        goto out;
    /* The copies are for `minisign -V`; the database is what the server reads. */
    if (write_copy(argv[1], MLV_STORE_MANIFEST, f.text, f.text_len, 1) != 0 ||
        write_copy(argv[1], MLV_STORE_MANIFEST_SIG, f.sig, f.sig_len, 1) != 0)
        mlv_log_msg("the manifest is installed, but its copies in the data directory are stale");
    mlv_day_format(day, m.expires_day);
    printf("malyava-dropbox: installed manifest serial %llu, valid until %s.\n", (unsigned long long)m.serial, day);
    print_grace(argv[1], &cur, &cfg, today);
    printf("Reload a running server now: systemctl reload malyava-dropbox (or send it SIGHUP); the new manifest\n"
           "and manifest_grace_days apply at once. Until then it keeps the manifests it loaded.\n");
    rc = 0;
out:
    mlv_db_manifest_clear(&cur);
    mlv_db_close(db);
    free(org_text);
    signed_file_clear(&f);
    return rc;
}

static void print_bytes(const char *label, uint64_t v)
{
    static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
    double x = (double)v;
    size_t u = 0;

    while (x >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        x /= 1024.0;
        u++;
    }
    printf("%-30s %llu (%.1f %s)\n", label, (unsigned long long)v, x, units[u]);
}

int mlv_cmd_stats(int argc, char **argv)
{
    char path[PATH_MAX], day[11];
    char (*due)[MLV_STORE_ID_HEX_BYTES] = NULL;
    size_t ndue = 0;
    mlv_db_stats st;
    mlv_trust *trust = NULL;
    mlv_store store = { -1, -1, -1 };
    mlv_db *db = NULL;
    uint64_t free_bytes, serial, sealed;
    int64_t expires, today = mlv_day_from_time((int64_t)time(NULL));
    mlv_cfg cfg;
    int rc = 1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: malyava-dropbox stats DATA_DIR\nCounts and disk use; nothing that identifies a source.\n");
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-')
        return mlv_cmd_usage_error("stats needs DATA_DIR");
    mlv_cfg_defaults(&cfg);
    snprintf(path, sizeof path, "%s/%s", argv[1], MLV_STORE_CONFIG);
    if (mlv_cfg_load(&cfg, path) != 0 || mlv_store_open(argv[1], &store) != 0)
        goto out;
    snprintf(path, sizeof path, "%s/%s", argv[1], MLV_STORE_DB);
    if (mlv_db_open(path, 0, &db) != MLV_DB_OK || mlv_db_stats_get(db, &st) != MLV_DB_OK)
        goto out;
    snprintf(path, sizeof path, "%s/%s", argv[1], MLV_STORE_ORG_KEY);
    if (mlv_trust_load(&trust, path, db, today, cfg.manifest_grace_days) != 0)
        goto out;
    if (mlv_store_free_bytes(&store, &free_bytes) != 0) {
        mlv_log_msg("cannot query free space in '%s': %s", argv[1], strerror(errno));
        goto out;
    }
    mlv_trust_current(trust, &serial, &expires);
    mlv_day_format(day, expires);
    printf("%-30s %llu\n", "received submissions:", (unsigned long long)st.received);
    print_bytes("received bytes:", st.received_bytes);
    printf("%-30s %llu\n", "pending uploads:", (unsigned long long)st.pending);
    print_bytes("pending bytes written:", st.pending_written);
    print_bytes("pending bytes reserved:", st.pending_bytes);
    print_bytes("quota used:", st.received_bytes + st.pending_bytes);
    print_bytes("quota (max_disk_bytes):", cfg.max_disk_bytes);
    if (mlv_db_server_sealed_bytes(db, &sealed) != MLV_DB_OK)
        goto out;
    print_bytes("plain-form envelopes:", sealed);
    print_bytes("plain-form share:", cfg.nojs_max_disk_bytes);
    print_bytes("free on the data volume:", free_bytes);
    printf("%-30s %llu\n", "reply accounts:", (unsigned long long)st.accounts);
    printf("%-30s %llu\n", "replies waiting:", (unsigned long long)st.replies);
    print_bytes("replies bytes:", st.replies_bytes);
    printf("%-30s %llu days (reply accounts idle %llu days)\n", "retention:", (unsigned long long)cfg.retention_days,
           (unsigned long long)cfg.reply_account_days);
    if (mlv_db_submission_ids_before(db, today - (int64_t)cfg.retention_days + MLV_SRV_RETENTION_WARN_DAYS, &due,
                                     &ndue) != MLV_DB_OK)
        goto out;
    if (ndue > 0)
        printf("%-30s %zu submissions are deleted by retention within %u days; export and ack them now\n",
               "WARNING:", ndue, MLV_SRV_RETENTION_WARN_DAYS);
    printf("%-30s serial %llu, valid until %s%s\n", "manifest:", (unsigned long long)serial, day,
           today > expires ? " (EXPIRED: uploads refused; run install-manifest)" : "");
    rc = 0;
out:
    free(due);
    mlv_trust_free(trust);
    mlv_db_close(db);
    mlv_store_close(&store);
    return rc;
}
