/*
 * `malyava-dropbox check DATA_DIR`: for a timer, cron or a monitoring
 * system. Exit status 0 when nothing needs the admin; 1 when something
 * does (each matter on its own line with what to do) or the data
 * directory cannot be read. It only reads, and runs beside the server.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "health.h"

static void check_help(void)
{
    printf("usage: malyava-dropbox check DATA_DIR [--quiet]\n"
           "Exit status 1, with one line per matter and what to do, when something needs the admin:\n"
           "the manifest within %u days of its last valid day or past it, the disk quota or the\n"
           "volume nearly full, the database held by another process, pending uploads near\n"
           "max_pending_uploads, submissions about to be deleted by retention. 0 otherwise.\n"
           "  --quiet  print nothing when all is well (for cron, which mails what is printed)\n",
           MLV_SRV_MANIFEST_WARN_DAYS);
}

int mlv_cmd_check(int argc, char **argv)
{
    const char *data_dir = NULL;
    mlv_health_facts hf;
    mlv_trust *trust = NULL;
    mlv_store store = { -1, -1, -1 };
    mlv_db *db = NULL;
    int64_t today = mlv_day_from_time((int64_t)time(NULL));
    size_t n;
    mlv_cfg cfg;
    int quiet = 0, rc = 1;
    char day[11];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            check_help();
            return 0;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-' || data_dir != NULL) {
            return mlv_cmd_usage_error("check: unexpected argument '%s'", argv[i]);
        } else {
            data_dir = argv[i];
        }
    }
    if (data_dir == NULL)
        return mlv_cmd_usage_error("check needs DATA_DIR");
    if (mlv_admin_open(data_dir, today, &cfg, &store, &db, &trust) != 0 ||
        mlv_health_gather(db, &store, trust, &cfg, today, &hf) != 0) {
        printf("malyava-dropbox: cannot check %s (the reason is above); run this as the service user "
               "(runuser -u malyava --) on the server's data directory\n", data_dir);
        goto out;
    }
    n = mlv_health_print(stdout, "NEEDS THE ADMIN: ", &hf, &cfg, data_dir);
    mlv_day_format(day, hf.expires_day);
    if (n > 0)
        printf("malyava-dropbox: %zu matter%s in %s need%s the admin (above)\n", n, n == 1 ? "" : "s", data_dir,
               n == 1 ? "s" : "");
    else if (!quiet)
        printf("malyava-dropbox: %s is fine: manifest serial %llu valid until %s, quota %llu%% used\n", data_dir,
               (unsigned long long)hf.serial, day,
               (unsigned long long)((hf.st.received_bytes + hf.st.pending_bytes) / (cfg.max_disk_bytes / 100u)));
    rc = n > 0 ? 1 : 0;
out:
    mlv_trust_free(trust);
    mlv_db_close(db);
    mlv_store_close(&store);
    return rc;
}
