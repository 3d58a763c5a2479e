/*
 * The administrator's commands: init, install-manifest, stats. They run
 * beside a serving process on the same data directory; SQLite's locking
 * and atomic renames keep them from tearing its state.
 */
#include <errno.h>
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
#include "datadir.h"
#include "health.h"
#include "db.h"
#include "listen.h"
#include "log.h"
#include "store.h"
#include "trust.h"

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
    char *cfg_text = NULL, *token = NULL;
    size_t cfg_len = 0;
    mlv_dd_carried c = { 0 };
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
    if (mlv_dd_read_org(org_path, &c) != 0 || mlv_dd_read_manifest(manifest_path, 0, 0, &c) != 0)
        goto out;
    if (mlv_dd_make_dir(data_dir) != 0)
        goto out;
    made = 1;
    if (mlv_cmd_token_new(&cfg, &token) != 0 || mlv_cfg_format(&cfg, &cfg_text, &cfg_len) != 0) {
        mlv_log_msg("out of memory");
        goto out;
    }
    if (mlv_dd_fill(data_dir, cfg_text, cfg_len, &c) != 0)
        goto out;
    printf("malyava-dropbox: data directory %s is ready (manifest serial %llu).\n"
           "Editors' export token, shown this once (only its hash is kept); hand it to the editors:\n%s\n",
           data_dir, (unsigned long long)c.m.serial, token);
    rc = 0;
out:
    if (rc != 0 && made)
        mlv_log_msg("init did not finish; remove '%s' and run init again", data_dir);
    sodium_free(token);
    free(cfg_text);
    mlv_dd_carried_clear(&c);
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
    char path[PATH_MAX], day[11];
    mlv_dd_carried c = { 0 };
    mlv_db_manifest cur = { 0 }, dm;
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
    if (mlv_dd_read_org(path, &c) != 0)
        goto out;
    snprintf(path, sizeof path, "%s/%s", argv[1], MLV_STORE_DB);
    if (mlv_db_open(path, 0, &db) != MLV_DB_OK)
        goto out;
    dst = mlv_db_manifest_get(db, MLV_DB_CURRENT, &cur);
    if (dst != MLV_DB_OK && dst != MLV_DB_NOT_FOUND)
        goto out;
    if (mlv_dd_read_manifest(argv[2], cur.serial + 1u, cur.serial, &c) != 0)
        goto out;
    dm = (mlv_db_manifest){ c.m.serial, 0, c.text, c.text_len, c.sig, c.sig_len };
    dst = mlv_db_manifest_install(db, &dm, today);
    if (dst == MLV_DB_ROLLBACK)
        mlv_log_msg("another manifest with serial %llu or higher was installed meanwhile; nothing changed",
                    (unsigned long long)c.m.serial);
    if (dst != MLV_DB_OK)
        goto out;
    /* The copies are for `minisign -V`; the database is what the server reads. */
    if (mlv_dd_write(argv[1], MLV_STORE_MANIFEST, c.text, c.text_len, 1) != 0 ||
        mlv_dd_write(argv[1], MLV_STORE_MANIFEST_SIG, c.sig, c.sig_len, 1) != 0)
        mlv_log_msg("the manifest is installed, but its copies in the data directory are stale");
    mlv_day_format(day, c.m.expires_day);
    printf("malyava-dropbox: installed manifest serial %llu, valid until %s.\n", (unsigned long long)c.m.serial, day);
    print_grace(argv[1], &cur, &cfg, today);
    printf("Reload a running server now: systemctl reload malyava-dropbox (or send it SIGHUP); the new manifest\n"
           "and manifest_grace_days apply at once. Until then it keeps the manifests it loaded.\n");
    rc = 0;
out:
    mlv_db_manifest_clear(&cur);
    mlv_db_close(db);
    mlv_dd_carried_clear(&c);
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
    char day[11];
    mlv_health_facts hf;
    mlv_trust *trust = NULL;
    mlv_store store = { -1, -1, -1 };
    mlv_db *db = NULL;
    uint64_t sealed;
    int64_t today = mlv_day_from_time((int64_t)time(NULL)), left;
    mlv_cfg cfg;
    int rc = 1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: malyava-dropbox stats DATA_DIR\nCounts and disk use; nothing that identifies a source.\n"
               "WARNING lines name what needs the admin (as `malyava-dropbox check` does).\n");
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-')
        return mlv_cmd_usage_error("stats needs DATA_DIR");
    if (mlv_admin_open(argv[1], today, &cfg, &store, &db, &trust) != 0 ||
        mlv_health_gather(db, &store, trust, &cfg, today, &hf) != 0)
        goto out;
    mlv_day_format(day, hf.expires_day);
    left = hf.expires_day - today;
    printf("%-30s %llu\n", "received submissions:", (unsigned long long)hf.st.received);
    print_bytes("received bytes:", hf.st.received_bytes);
    printf("%-30s %llu\n", "pending uploads:", (unsigned long long)hf.st.pending);
    print_bytes("pending bytes written:", hf.st.pending_written);
    print_bytes("pending bytes reserved:", hf.st.pending_bytes);
    print_bytes("quota used:", hf.st.received_bytes + hf.st.pending_bytes);
    print_bytes("quota (max_disk_bytes):", cfg.max_disk_bytes);
    if (mlv_db_server_sealed_bytes(db, &sealed) != MLV_DB_OK)
        goto out;
    print_bytes("plain-form envelopes:", sealed);
    print_bytes("plain-form share:", cfg.nojs_max_disk_bytes);
    print_bytes("free on the data volume:", hf.free_bytes);
    printf("%-30s %llu\n", "reply accounts:", (unsigned long long)hf.st.accounts);
    printf("%-30s %llu\n", "replies waiting:", (unsigned long long)hf.st.replies);
    print_bytes("replies bytes:", hf.st.replies_bytes);
    printf("%-30s %llu days (reply accounts idle %llu days)\n", "retention:", (unsigned long long)cfg.retention_days,
           (unsigned long long)cfg.reply_account_days);
    if (left >= 0)
        printf("%-30s serial %llu, valid until %s (%lld day%s left)\n", "manifest:", (unsigned long long)hf.serial,
               day, (long long)left, left == 1 ? "" : "s");
    else
        printf("%-30s serial %llu, valid until %s (EXPIRED %lld day%s ago)\n", "manifest:",
               (unsigned long long)hf.serial, day, (long long)-left, left == -1 ? "" : "s");
    mlv_health_print(stdout, "WARNING: ", &hf, &cfg, argv[1]);
    rc = 0;
out:
    mlv_trust_free(trust);
    mlv_db_close(db);
    mlv_store_close(&store);
    return rc;
}

int mlv_admin_open(const char *data_dir, int64_t today, mlv_cfg *cfg, mlv_store *store, mlv_db **db,
                   mlv_trust **trust)
{
    char path[PATH_MAX];

    mlv_cfg_defaults(cfg);
    snprintf(path, sizeof path, "%s/%s", data_dir, MLV_STORE_CONFIG);
    if (mlv_cfg_load(cfg, path) != 0 || mlv_store_open(data_dir, store) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s", data_dir, MLV_STORE_DB);
    if (mlv_db_open(path, 0, db) != MLV_DB_OK)
        return -1;
    snprintf(path, sizeof path, "%s/%s", data_dir, MLV_STORE_ORG_KEY);
    return mlv_trust_load(trust, path, *db, today, cfg->manifest_grace_days);
}
