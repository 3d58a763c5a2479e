/*
 * `malyava-dropbox serve`: recovery, then libmicrohttpd's threads serve
 * while the main thread only waits for signals and runs the expiry sweep
 * and, daily, retention.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "airgap.h"
#include "commands.h"
#include "harden.h"
#include "http.h"
#include "log.h"
#include "recover.h"
#include "server.h"

static int open_listener(const char *spec, char *url, size_t url_size)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char host[INET6_ADDRSTRLEN];
    int fd, one = 1;

    if (mlv_cfg_listen_parse(spec, &ss, &len) != 0)
        return -1;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        goto fail;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, SOMAXCONN) != 0)
        goto fail;
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        goto fail;
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof host);
        snprintf(url, url_size, "http://[%s]:%u/", host, (unsigned)ntohs(a6->sin6_port));
    } else {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a4->sin_addr, host, sizeof host);
        snprintf(url, url_size, "http://%s:%u/", host, (unsigned)ntohs(a4->sin_port));
    }
    return fd;
fail:
    mlv_log_msg("cannot listen on %s: %s; pick a free port with --listen", spec, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

static void serve_help(void)
{
    printf("usage: malyava-dropbox serve DATA_DIR [--listen ADDR:PORT] [SETTINGS] [--check-config]\n"
           "  --check-config  check the configuration, data directory and manifest, then exit\n"
           "SETTINGS are listed by `malyava-dropbox --help`.\n");
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

/* SIGHUP: pow_bits from the config file (flags given at start still win);
 * other settings need a restart. */
static void reload_pow_bits(mlv_srv *s, const mlv_cmd_overrides *o)
{
    char path[PATH_MAX];
    mlv_cfg fresh;

    mlv_cfg_defaults(&fresh);
    snprintf(path, sizeof path, "%s/%s", s->data_dir, MLV_STORE_CONFIG);
    if (mlv_cfg_load(&fresh, path) != 0 || mlv_cmd_apply_settings(&fresh, o) != 0) {
        mlv_log_msg("the configuration does not load; pow_bits stays %u", mlv_powcheck_bits(s->pow));
        return;
    }
    if (fresh.pow_bits != mlv_powcheck_bits(s->pow))
        mlv_log_msg("pow_bits is now %llu", (unsigned long long)fresh.pow_bits);
    mlv_powcheck_set_bits(s->pow, (unsigned)fresh.pow_bits);
}

/* Until SIGTERM or SIGINT: SIGHUP reloads the manifests and pow_bits, and
 * every MLV_SRV_SWEEP_SECONDS expired uploads go. */
static void wait_for_signals(mlv_srv *s, const sigset_t *set, const mlv_cmd_overrides *o)
{
    struct timespec tick = { (time_t)MLV_SRV_SWEEP_SECONDS, 0 };

    for (;;) {
        int sig = sigtimedwait(set, NULL, &tick);

        if (sig == SIGTERM || sig == SIGINT)
            return;
        if (sig == SIGHUP) {
            reload_pow_bits(s, o);
            if (mlv_trust_reload(s->trust, s->db, mlv_day_from_time((int64_t)time(NULL))) == 0) {
                uint64_t serial;
                int64_t expires;
                char day[11];
                mlv_trust_current(s->trust, &serial, &expires);
                mlv_day_format(day, expires);
                mlv_log_msg("manifests reloaded: serial %llu, valid until %s", (unsigned long long)serial, day);
            } else {
                mlv_log_msg("manifest reload failed; the previously loaded manifests stay in force");
            }
        } else if (sig < 0 && errno == EAGAIN) {
            mlv_srv_sweep(s, (int64_t)time(NULL));
            run_retention(s);
        }
    }
}

int mlv_cmd_serve(int argc, char **argv)
{
    mlv_cmd_overrides o = { 0 };
    const char *data_dir = NULL;
    char path[PATH_MAX], url[INET6_ADDRSTRLEN + 32];
    struct MHD_Daemon *d = NULL;
    mlv_recover_report rep;
    int check_only = 0, fd = -1, rc = 1, taken;
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
    if (mlv_srv_open(&srv, data_dir, &cfg) != 0)
        goto out;
    if (check_only) {
        printf("malyava-dropbox: configuration of %s is OK\n", data_dir);
        rc = 0;
        goto out;
    }
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
    fd = open_listener(cfg.listen, url, sizeof url);
    if (fd < 0)
        goto out;
    /* Blocked before MHD starts, so its threads inherit the mask and only
     * the main thread ever takes these. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    d = mlv_http_start(&srv, fd);
    if (d == NULL) {
        mlv_log_msg("cannot start the HTTP server; check the settings and the system's limits on threads and files");
        close(fd);
        goto out;
    }
    /* Last, with every socket, file and thread in place: from here on
     * only what serving needs is allowed. */
    if (mlv_harden_apply((mlv_harden_mode)cfg.seccomp) != 0) {
        mlv_http_stop(d);
        goto out;
    }
    printf("malyava-dropbox: listening on %s\n", url);
    fflush(stdout);
    wait_for_signals(&srv, &set, &o);
    mlv_log_msg("stopping; unfinished uploads keep their durable offset and can resume");
    mlv_http_stop(d);
    mlv_log_msg("stopped");
    rc = 0;
out:
    mlv_srv_close(&srv);
    return rc;
}
