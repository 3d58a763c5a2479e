/*
 * `malyava-dropbox serve`: the data directory locked, recovery, then
 * libmicrohttpd's threads serve the sources' and the editors' listeners
 * while the main thread only waits for signals and runs the expiry sweep
 * and, daily, retention.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "airgap.h"
#include "commands.h"
#include "harden.h"
#include "expiry.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "recover.h"
#include "server.h"

static void serve_help(void)
{
    printf("usage: malyava-dropbox serve DATA_DIR [--listen ADDR:PORT] [--editors-listen ADDR:PORT|off]\n"
           "                             [SETTINGS] [--check-config]\n"
           "  --check-config  check the configuration, data directory and manifest, then exit\n"
           "Both listeners must be on loopback unless --allow-public-listen or\n"
           "--allow-public-editors-listen says otherwise. SETTINGS are listed by\n"
           "`malyava-dropbox --help`.\n");
}

/* Once a day (and at start): what is older than the retention settings goes. */
static void run_retention(mlv_srv *s)
{
    int64_t today = mlv_day_today();
    mlv_airgap_retention ret;

    if (today == s->retention_day)
        return;
    if (mlv_airgap_retention_run(s->db, &s->store, &s->cfg, today, &ret) != 0) {
        mlv_log_msg("retention could not delete everything due; it tries again later");
        return;
    }
    s->retention_day = today;
    if (ret.submissions > 0 || ret.accounts > 0 || ret.replies > 0)
        mlv_log_msg("retention deleted %llu submissions, %llu reply accounts and %llu replies",
                    (unsigned long long)ret.submissions, (unsigned long long)ret.accounts,
                    (unsigned long long)ret.replies);
}

/* The manifest's expiry, in the log at start, after a reload and on the
 * days expiry.h names (14, 7, 1 and 0 days left, every day past it). */
static void notice_expiry(mlv_srv *s, int at_start)
{
    char msg[MLV_EXPIRY_MSG_BYTES];
    int64_t today = mlv_day_today(), expires;
    uint64_t serial;

    if (!at_start && today == s->notice_day)
        return;
    s->notice_day = today;
    mlv_trust_current(s->trust, &serial, &expires);
    if (mlv_expiry_notice(msg, serial, expires, today, at_start, s->data_dir))
        mlv_log_msg("%s", msg);
}

/* SIGHUP: pow_bits and manifest_grace_days from the config file (flags
 * given at start still win); other settings need a restart. Returns the
 * grace to reload the manifests with: the one in force if the file does
 * not load. */
static uint64_t reload_config(mlv_srv *s, const mlv_cmd_overrides *o)
{
    char path[PATH_MAX];
    mlv_cfg fresh;

    mlv_cfg_defaults(&fresh);
    snprintf(path, sizeof path, "%s/%s", s->data_dir, MLV_STORE_CONFIG);
    if (mlv_cfg_load(&fresh, path) != 0 || mlv_cmd_apply_settings(&fresh, o) != 0) {
        mlv_log_msg("the configuration does not load; pow_bits stays %u and manifest_grace_days %llu",
                    mlv_powcheck_bits(s->pow), (unsigned long long)mlv_trust_grace(s->trust));
        return mlv_trust_grace(s->trust);
    }
    if (fresh.pow_bits != mlv_powcheck_bits(s->pow))
        mlv_log_msg("pow_bits is now %llu", (unsigned long long)fresh.pow_bits);
    mlv_powcheck_set_bits(s->pow, (unsigned)fresh.pow_bits);
    return fresh.manifest_grace_days;
}

/* The manifests and the grace, swapped in together. */
static void reload_trust(mlv_srv *s, uint64_t grace_days)
{
    uint64_t serial;
    int64_t expires;
    char day[11];

    if (mlv_trust_reload(s->trust, s->db, mlv_day_from_time((int64_t)time(NULL)), grace_days) != 0) {
        mlv_log_msg("manifest reload failed; the previously loaded manifests and manifest_grace_days %llu stay in "
                    "force", (unsigned long long)mlv_trust_grace(s->trust));
        return;
    }
    mlv_trust_current(s->trust, &serial, &expires);
    mlv_day_format(day, expires);
    mlv_log_msg("manifests reloaded: serial %llu, valid until %s; manifest_grace_days %llu",
                (unsigned long long)serial, day, (unsigned long long)grace_days);
}

/* Until SIGTERM or SIGINT: SIGHUP reloads the manifests, pow_bits and
 * manifest_grace_days, and every MLV_SRV_SWEEP_SECONDS expired uploads go
 * and ctimes are blurred. */
static void wait_for_signals(mlv_srv *s, const sigset_t *set, const mlv_cmd_overrides *o)
{
    struct timespec tick = { (time_t)MLV_SRV_SWEEP_SECONDS, 0 };

    for (;;) {
        int sig = sigtimedwait(set, NULL, &tick);

        if (sig == SIGTERM || sig == SIGINT)
            return;
        if (sig == SIGHUP) {
            reload_trust(s, reload_config(s, o));
            notice_expiry(s, 1);
        } else if (sig < 0 && errno == EAGAIN) {
            mlv_srv_sweep(s, (int64_t)time(NULL));
            /* What moved since the last tick has its ctime blurred with
             * the rest (store.h). */
            if (mlv_store_touch_all(&s->store) != 0)
                mlv_log_msg("cannot reset the times of stored files: %s", strerror(errno));
            run_retention(s);
            notice_expiry(s, 0);
        }
    }
}

/* Both listeners' sockets and daemons (the editors' one unless it is
 * off); their URLs in `urls`. -1 after logging, with nothing left open. */
static int start_listeners(mlv_srv *s, struct MHD_Daemon *d[2], char urls[2][MLV_LISTEN_URL_BYTES])
{
    static const char *const settings[2] = { "listen", "editors_listen" };
    const char *specs[2] = { s->cfg.listen, s->cfg.editors_listen };
    int fds[2] = { -1, -1 };

    for (int i = 0; i < 2; i++) {
        if (strcmp(specs[i], MLV_CFG_LISTEN_OFF) == 0)
            continue;
        fds[i] = mlv_listen_open(specs[i], settings[i], urls[i]);
        if (fds[i] < 0)
            goto fail;
    }
    for (int i = 0; i < 2; i++) {
        if (fds[i] < 0)
            continue;
        d[i] = mlv_http_start(s, fds[i], i == 0 ? MLV_HTTP_PUBLIC : MLV_HTTP_EDITORS);
        if (d[i] == NULL) {
            mlv_log_msg("cannot start the HTTP server; check the settings and the system's limits on threads and "
                        "files");
            goto fail;
        }
        fds[i] = -1; /* the daemon owns it */
    }
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        mlv_http_stop(d[i]);
        d[i] = NULL;
        if (fds[i] >= 0)
            close(fds[i]);
    }
    return -1;
}

int mlv_cmd_serve(int argc, char **argv)
{
    mlv_cmd_overrides o = { 0 };
    const char *data_dir = NULL;
    char path[PATH_MAX], urls[2][MLV_LISTEN_URL_BYTES];
    struct MHD_Daemon *d[2] = { NULL, NULL };
    mlv_recover_report rep;
    int check_only = 0, lock_fd = -1, rc = 1, taken;
    sigset_t set;
    mlv_srv srv;
    mlv_cfg cfg;

    memset(&srv, 0, sizeof srv);
    for (int i = 1; i < argc;) {
        taken = mlv_cmd_take_setting(&o, argc, argv, &i);
        if (taken < 0)
            return 2;
        if (taken > 0)
            continue;
        if (strcmp(argv[i], "--help") == 0) {
            serve_help();
            return 0;
        } else if (strcmp(argv[i], "--check-config") == 0) {
            check_only = 1;
        } else if (argv[i][0] == '-' || data_dir != NULL) {
            return mlv_cmd_usage_error("serve: unexpected argument '%s'", argv[i]);
        } else {
            data_dir = argv[i];
        }
        i++;
    }
    if (data_dir == NULL)
        return mlv_cmd_usage_error("serve needs DATA_DIR");
    mlv_cfg_defaults(&cfg);
    snprintf(path, sizeof path, "%s/%s", data_dir, MLV_STORE_CONFIG);
    if (mlv_cfg_load(&cfg, path) != 0 || mlv_cmd_apply_settings(&cfg, &o) != 0)
        return 1;
    if (mlv_listen_check(&cfg) != 0)
        return 2;
    if (mlv_srv_open(&srv, data_dir, &cfg) != 0)
        goto out;
    if (check_only) {
        printf("malyava-dropbox: configuration of %s is OK\n", data_dir);
        rc = 0;
        goto out;
    }
    /* Before recovery: a second server's would cut back the first one's
     * uploads in flight and remove its bundles. Taken before the seccomp
     * filter, which need not allow flock: the lock goes with the process. */
    lock_fd = mlv_store_lock(&srv.store, data_dir);
    if (lock_fd < 0)
        goto out;
    if (mlv_recover_run(&srv, (int64_t)time(NULL), &rep) != 0)
        goto out;
    if (rep.lost > 0)
        mlv_log_msg("%zu received submissions had no envelope file and were dropped from the database; "
                    "check the disk and restore envelopes/ from a backup",
                    rep.lost);
    if (rep.strays > 0 || rep.rows > 0)
        mlv_log_msg("start-up recovery removed %zu stray files and %zu upload records without data",
                    rep.strays, rep.rows);
    run_retention(&srv);
    notice_expiry(&srv, 1);
    mlv_store_touch_all(&srv.store);
    /* Blocked before MHD starts, so its threads inherit the mask and only
     * the main thread ever takes these. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (start_listeners(&srv, d, urls) != 0)
        goto out;
    /* Last, with every socket, file and thread in place: from here on
     * only what serving needs is allowed. */
    if (mlv_harden_apply((mlv_harden_mode)cfg.seccomp) != 0)
        goto stop;
    printf("malyava-dropbox: listening on %s\n", urls[0]);
    if (d[1] != NULL)
        printf("malyava-dropbox: editors' routes on %s\n", urls[1]);
    fflush(stdout);
    wait_for_signals(&srv, &set, &o);
    mlv_log_msg("stopping; unfinished uploads keep their durable offset and can resume");
    rc = 0;
stop:
    mlv_http_stop(d[1]);
    mlv_http_stop(d[0]);
    if (rc == 0) {
        /* Last, because the clocks that say what has expired die with us. */
        mlv_srv_sweep(&srv, (int64_t)time(NULL));
        mlv_log_msg("stopped");
    }
out:
    mlv_srv_close(&srv);
    if (lock_fd >= 0)
        close(lock_fd);
    return rc;
}
