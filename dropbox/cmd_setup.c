/*
 * `malyava-dropbox setup DATA_DIR --from DIR`: the guided first set-up,
 * and the restore onto a new machine. Run as root: the carried files are
 * read and the manifest verified first, then DATA_DIR is made and given
 * to the service user, and the process becomes that user for good before
 * it writes anything else, so every file (the database's journal
 * included) has the owner the server runs as. It ends by printing the
 * export token once, the Tor lines and what to do next.
 *
 * With a config in DIR (a backup's), its settings and export token hash
 * are kept: the editors' token goes on working and none is printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "commands.h"
#include "datadir.h"
#include "listen.h"
#include "log.h"
#include "store.h"

#ifndef MALYAVA_DATA_DIR
#define MALYAVA_DATA_DIR "/var/lib/malyava-dropbox"
#endif
#ifndef MALYAVA_TOR_DROPIN
#define MALYAVA_TOR_DROPIN "/etc/tor/torrc.d/malyava-dropbox.conf"
#endif
/* The user the package makes (sysusers.d) and the unit runs the server as. */
#define SETUP_DEFAULT_USER "malyava"

typedef struct setup_args {
    const char *data_dir, *from, *org_path, *manifest_path, *user;
    mlv_cmd_overrides o;
} setup_args;

static void setup_help(void)
{
    printf("usage: malyava-dropbox setup DATA_DIR --from DIR [--user NAME] [SETTINGS]\n"
           "       malyava-dropbox setup DATA_DIR --org-key ORG.pub --manifest FILE [--user NAME] [SETTINGS]\n"
           "Run as root. Verifies the manifest carried from the offline machine (DIR/org.pub,\n"
           "DIR/manifest, DIR/manifest.minisig), creates DATA_DIR owned by NAME (default %s) with\n"
           "private modes, writes the config, prints the editors' export token once, the Tor lines\n"
           "and what to do next. If DIR holds a config (a backup's), its settings and export token\n"
           "are kept: that is the restore onto a new machine.\n",
           SETUP_DEFAULT_USER);
}

/* 0, 1 after --help, or 2 after a usage error. */
static int parse(int argc, char **argv, setup_args *a)
{
    for (int i = 1; i < argc;) {
        int taken = mlv_cmd_take_setting(&a->o, argc, argv, &i);

        if (taken < 0)
            return 2;
        if (taken > 0)
            continue;
        if (strcmp(argv[i], "--help") == 0) {
            setup_help();
            return 1;
        } else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) {
            a->from = argv[++i];
        } else if (strcmp(argv[i], "--org-key") == 0 && i + 1 < argc) {
            a->org_path = argv[++i];
        } else if (strcmp(argv[i], "--manifest") == 0 && i + 1 < argc) {
            a->manifest_path = argv[++i];
        } else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
            a->user = argv[++i];
        } else if (argv[i][0] == '-' || a->data_dir != NULL) {
            return mlv_cmd_usage_error("setup: unexpected argument '%s'", argv[i]);
        } else {
            a->data_dir = argv[i];
        }
        i++;
    }
    if (a->data_dir == NULL || (a->from == NULL) == (a->org_path == NULL || a->manifest_path == NULL) ||
        (a->from != NULL && (a->org_path != NULL || a->manifest_path != NULL)))
        return mlv_cmd_usage_error("setup needs DATA_DIR and either --from DIR or --org-key ORG.pub and --manifest "
                                   "FILE");
    if (a->user != NULL && geteuid() != 0)
        return mlv_cmd_usage_error("setup --user needs root (it gives DATA_DIR to that user); run it as root");
    return 0;
}

/* The service user, refused if it is root or missing. */
static int find_user(const char *name, uid_t *uid, gid_t *gid)
{
    struct passwd *pw;

    errno = 0;
    pw = getpwnam(name);
    if (pw == NULL) {
        mlv_log_msg("there is no user '%s'. The malyava-dropbox package makes it; without the package: "
                    "adduser --system --group --home %s %s", name, MALYAVA_DATA_DIR, name);
        return -1;
    }
    if (pw->pw_uid == 0) {
        mlv_log_msg("user '%s' is root; the server must run as an unprivileged user of its own", name);
        return -1;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return 0;
}

/* DATA_DIR to the service user, then this process becomes that user,
 * with no way back. */
static int hand_over(const char *data_dir, uid_t uid, gid_t gid)
{
    int fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = -1;

    if (fd < 0 || fchown(fd, uid, gid) != 0) {
        mlv_log_msg("cannot give '%s' to the service user: %s", data_dir, strerror(errno));
        goto out;
    }
    if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        mlv_log_msg("cannot become the service user: %s", strerror(errno));
        goto out;
    }
    if (setuid(0) == 0) {
        mlv_log_msg("still able to become root after dropping privileges; stopping");
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

/*
 * The config to write: a backup's as it was (its settings and export
 * token hash kept; *token stays NULL), or the defaults with SETTINGS and a
 * new token. -1 after logging, 2 for a usage error.
 */
static int make_config(const setup_args *a, mlv_cfg *cfg, char **text, size_t *len, char **token)
{
    char path[PATH_MAX];
    struct stat st;

    mlv_cfg_defaults(cfg);
    snprintf(path, sizeof path, "%s/%s", a->from != NULL ? a->from : ".", MLV_STORE_CONFIG);
    if (a->from != NULL && lstat(path, &st) == 0) {
        if (a->o.n > 0)
            return mlv_cmd_usage_error("setup: the settings come from %s; change them in %s/%s afterwards", path,
                                       a->data_dir, MLV_STORE_CONFIG);
        if (mlv_dd_read_text(path, "configuration", text, len) != 0 || mlv_cfg_parse(cfg, *text, *len, path) != 0)
            return -1;
        if (!cfg->has_export_token) {
            mlv_log_msg("%s has no export_token_hash; it is no data directory's config", path);
            return -1;
        }
    } else {
        if (mlv_cmd_apply_settings(cfg, &a->o) != 0)
            return 2;
        if (mlv_cmd_token_new(cfg, token) != 0 || mlv_cfg_format(cfg, text, len) != 0) {
            mlv_log_msg("out of memory");
            return -1;
        }
    }
    return mlv_listen_check(cfg) != 0 ? 2 : 0;
}

static void print_next(const setup_args *a, const mlv_cfg *cfg, const char *token, const char *owner)
{
    int editors = strcmp(cfg->editors_listen, MLV_CFG_LISTEN_OFF) != 0, step = 1;

    if (token != NULL)
        printf("\nEditors' export token, shown this once (only its hash is kept):\n%s\n", token);
    else
        printf("\nThe export token of the backup's config stays valid; no new one was made.\n");
    printf("\nTor: the onion services for this data directory (%s has them for the default ports):\n"
           "  HiddenServiceDir /var/lib/tor/malyava/\n  HiddenServicePort 80 %s\n",
           MALYAVA_TOR_DROPIN, cfg->listen);
    if (editors)
        printf("  HiddenServiceDir /var/lib/tor/malyava-editors/\n  HiddenServicePort 80 %s\n", cfg->editors_listen);
    printf("\nNext:\n");
    if (token != NULL)
        printf("  %d. Hand the token to the editors over a channel you trust; do not keep it on this host.\n",
               step++);
    printf("  %d. Make sure /etc/tor/torrc has the line\n       %%include /etc/tor/torrc.d/*.conf\n"
           "     and that %s matches the lines above; then: systemctl reload tor\n", step++, MALYAVA_TOR_DROPIN);
    if (editors)
        printf("  %d. Before anyone gets the editors' address, authorize each editor's Tor client: one file\n"
               "     /var/lib/tor/malyava-editors/authorized_clients/NAME.auth each (docs/DEPLOY.md).\n", step++);
    if (strcmp(a->data_dir, MALYAVA_DATA_DIR) != 0)
        printf("  %d. The unit serves %s: point it at %s with systemctl edit malyava-dropbox\n", step++,
               MALYAVA_DATA_DIR, a->data_dir);
    printf("  %d. Start the server and its daily check:\n"
           "       systemctl enable --now malyava-dropbox.service malyava-dropbox-check.timer\n"
           "  %d. Publish the sources' address: cat /var/lib/tor/malyava/hostname\n"
           "  %d. Back up, off this host: the onion service keys and %s/{config,org.pub,manifest,\n"
           "     manifest.minisig} (docs/DEPLOY.md). Run every later admin command as %s:\n"
           "       runuser -u %s -- malyava-dropbox stats %s\n",
           step, step + 1, step + 2, a->data_dir, owner, owner, a->data_dir);
}

int mlv_cmd_setup(int argc, char **argv)
{
    setup_args a = { 0 };
    char *cfg_text = NULL, *token = NULL, path[PATH_MAX], day[11];
    size_t cfg_len = 0;
    mlv_dd_carried c = { 0 };
    struct passwd *me;
    uid_t uid = 0;
    gid_t gid = 0;
    mlv_cfg cfg;
    int rc = 1, r, made = 0, root = geteuid() == 0;

    r = parse(argc, argv, &a);
    if (r != 0)
        return r == 1 ? 0 : r;
    if (root && find_user(a.user != NULL ? a.user : SETUP_DEFAULT_USER, &uid, &gid) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/%s", a.from != NULL ? a.from : "", MLV_STORE_ORG_KEY);
    if (mlv_dd_read_org(a.from != NULL ? path : a.org_path, &c) != 0)
        goto out;
    snprintf(path, sizeof path, "%s/%s", a.from != NULL ? a.from : "", MLV_STORE_MANIFEST);
    if (mlv_dd_read_manifest(a.from != NULL ? path : a.manifest_path, 0, 0, &c) != 0)
        goto out;
    r = make_config(&a, &cfg, &cfg_text, &cfg_len, &token);
    if (r != 0) {
        rc = r == 2 ? 2 : 1;
        goto out;
    }
    if (mlv_dd_make_dir(a.data_dir) != 0)
        goto out;
    made = 1;
    if (root && hand_over(a.data_dir, uid, gid) != 0)
        goto out;
    umask(077);
    if (mlv_dd_fill(a.data_dir, cfg_text, cfg_len, &c) != 0)
        goto out;
    me = getpwuid(geteuid());
    mlv_day_format(day, c.m.expires_day);
    printf("malyava-dropbox: data directory %s is ready, owned by %s (manifest serial %llu, valid until %s).\n",
           a.data_dir, me != NULL ? me->pw_name : "this user", (unsigned long long)c.m.serial, day);
    print_next(&a, &cfg, token, me != NULL ? me->pw_name : SETUP_DEFAULT_USER);
    rc = 0;
out:
    if (rc == 1 && made)
        mlv_log_msg("setup did not finish; remove '%s' and run setup again", a.data_dir);
    sodium_free(token);
    free(cfg_text);
    mlv_dd_carried_clear(&c);
    return rc;
}
