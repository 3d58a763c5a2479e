/*
 * `malyava desk`: unlock the vault once, then work in the browser
 * (docs/DESK.md). This file is the command: its options, the start (a
 * desk already open for this vault just hands out a new address), the
 * browser, and the event loop that serves the pages and the command
 * line from one thread and locks the session when it idles.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/limits.h>

#include "cli.h"
#include "commands.h"
#include "desk.h"
#include "desk_http.h"
#include "desk_index.h"
#include "desk_sock.h"
#include "desk_verb.h"

/* The launcher page waits this long for the browser, then goes. */
#define LAUNCHER_SECONDS 60u
/* The loop wakes at least this often to see signals and the idle clock. */
#define TICK_MS 500
#define LAUNCHER_PATH_BYTES (MLV_DESK_SOCK_PATH_BYTES + 32u)

extern char **environ;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

typedef struct options {
    mlv_vault_args a;
    double idle_seconds;
    unsigned port;
    int no_browser, exit_on_lock;
} options;

static void usage(FILE *out)
{
    fprintf(out, "usage: malyava desk [--vault V] [--key NAME] [--passphrase-file F] [--idle-minutes N] [--port N]\n"
                 "                    [--no-browser] [--exit-on-lock]\n"
                 "  unlocks the vault once and serves the editors' desk to this machine's browser\n");
}

static int parse(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        MLV_VAULT_LONG_OPTIONS,
        { "idle-minutes", required_argument, NULL, 'i' },
        { "port", required_argument, NULL, 'p' },
        { "no-browser", no_argument, NULL, 'n' },
        { "exit-on-lock", no_argument, NULL, 'x' },
        { NULL, 0, NULL, 0 },
    };
    char *end = NULL;
    double minutes;
    long port;
    int c;

    memset(o, 0, sizeof *o);
    o->idle_seconds = 60.0 * MLV_DESK_DEFAULT_IDLE_MINUTES;
    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:h", longs, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &o->a))
            continue;
        switch (c) {
        case 'i':
            errno = 0;
            minutes = strtod(optarg, &end);
            if (errno != 0 || end == optarg || *end != '\0' || !isfinite(minutes) ||
                minutes * 60.0 < MLV_DESK_MIN_IDLE_SECONDS || minutes > MLV_DESK_MAX_IDLE_MINUTES) {
                mlv_cli_error("--idle-minutes takes minutes from 0.05 to %u, e.g. --idle-minutes 10",
                              MLV_DESK_MAX_IDLE_MINUTES);
                return 2;
            }
            o->idle_seconds = minutes * 60.0;
            break;
        case 'p':
            errno = 0;
            port = strtol(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || port < 0 || port > 65535) {
                mlv_cli_error("--port takes a port number, 1 to 65535 (0 or none: any free port)");
                return 2;
            }
            o->port = (unsigned)port;
            break;
        case 'n': o->no_browser = 1; break;
        case 'x': o->exit_on_lock = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    return -1;
}

/* ---- the browser ---------------------------------------------------------- */

static const char *find_opener(void)
{
    static const char *const openers[] = { "xdg-open", "sensible-browser" };
    const char *path = getenv("PATH");
    static char found[4096];

    for (size_t i = 0; path != NULL && i < sizeof openers / sizeof openers[0]; i++) {
        for (const char *p = path; *p != '\0';) {
            size_t n = strcspn(p, ":");

            if (n > 0 && (size_t)snprintf(found, sizeof found, "%.*s/%s", (int)n, p, openers[i]) < sizeof found &&
                access(found, X_OK) == 0)
                return found;
            p += n + (p[n] == ':');
        }
    }
    return NULL;
}

/*
 * The address holds the one-time secret, and another user on this
 * machine could read a program's arguments: the browser is given a page
 * only we can read (0600, in our 0700 directory) that sends it on.
 */
static int open_browser(const char *url, char *launcher, size_t size)
{
    const char *opener = find_opener();
    char page[512], dir[MLV_DESK_SOCK_PATH_BYTES];
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t dflt;
    pid_t pid;
    int fd, rc;

    launcher[0] = '\0';
    if ((getenv("DISPLAY") == NULL && getenv("WAYLAND_DISPLAY") == NULL) || opener == NULL ||
        mlv_desk_sock_path(dir, 1) != 0)
        return -1;
    *strrchr(dir, '/') = '\0';
    if ((size_t)snprintf(launcher, size, "%s/desk-open.html", dir) >= size)
        return -1;
    unlink(launcher);
    snprintf(page, sizeof page,
             "<!DOCTYPE html><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">"
             "<meta http-equiv=\"refresh\" content=\"0;url=%s\"><title>Malyava desk</title>"
             "<p><a href=\"%s\">Malyava desk</a></p>\n", url, url);
    fd = mlv_file_create(launcher);
    rc = fd >= 0 ? mlv_file_write_all(fd, page, strlen(page)) : -1;
    sodium_memzero(page, sizeof page);
    if (fd >= 0)
        close(fd);
    if (rc != 0) {
        unlink(launcher);
        launcher[0] = '\0';
        return -1;
    }
    {
        char *args[] = { (char *)(uintptr_t)opener, launcher, NULL };

        sigemptyset(&dflt);
        sigaddset(&dflt, SIGPIPE);
        sigaddset(&dflt, SIGCHLD);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setsigdefault(&attr, &dflt);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
        rc = posix_spawn(&pid, opener, &fa, &attr, args, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
    }
    return rc == 0 ? 0 : -1;
}

/* ---- a desk already open -------------------------------------------------- */

/* -1: none answers; else the exit status for this run. */
static int ask_open_desk(const char *sock_path, const char *vault_path, const options *o)
{
    char *argv[] = { (char *)(uintptr_t)vault_path, NULL }, launcher[LAUNCHER_PATH_BYTES];
    uint8_t buf[MLV_DESK_ANSWER_BYTES + 4096];
    size_t len = 0, nfds = 0;
    mlv_desk_answer kind;
    const char *url;
    int fd = mlv_desk_sock_connect(sock_path), status;
    ssize_t n;

    if (fd < 0)
        return -1;
    if (mlv_desk_wire_request(MLV_DESK_ASK_ADDRESS, 1, argv, NULL, buf, sizeof buf, &len) != 0 ||
        mlv_desk_sock_send(fd, buf, len, NULL, 0) != 0 ||
        (n = mlv_desk_sock_recv(fd, buf, MLV_DESK_ANSWER_BYTES, NULL, 0, &nfds)) < 0 ||
        mlv_desk_wire_parse_answer(buf, (size_t)n, &kind, &status, &url) != 0) {
        close(fd);
        mlv_cli_error("a desk is running but did not answer; close it (Ctrl-C where it runs) and start again");
        return 1;
    }
    close(fd);
    if (kind != MLV_DESK_DONE || url == NULL) {
        mlv_cli_error("a desk is already open on another vault; close it first (Ctrl-C where it runs)");
        return 1;
    }
    printf("a desk is already open for this vault; a new address for the browser (it works once, and ends the "
           "other tab's session):\n  %s\n", url);
    fflush(stdout);
    if (!o->no_browser)
        (void)open_browser(url, launcher, sizeof launcher);
    return 0;
}

/* ---- the session ---------------------------------------------------------- */

static int serve(mlv_desk *d, mlv_desk_http *http, int sock, const char *launcher)
{
    uint64_t launched = mlv_desk_now_ms();
    int launcher_live = launcher[0] != '\0';

    while (!d->quit && stop_signal == 0) {
        struct pollfd p[2] = { { .fd = mlv_desk_http_fd(http), .events = POLLIN }, { .fd = sock, .events = POLLIN } };
        int wait = mlv_desk_http_timeout_ms(http);
        uint64_t now;

        if (wait < 0 || wait > TICK_MS)
            wait = TICK_MS;
        if (poll(p, 2, wait) < 0 && errno != EINTR) {
            perror("malyava: poll");
            return 1;
        }
        mlv_desk_http_run(http);
        if (p[1].revents & POLLIN)
            mlv_desk_sock_serve(d, sock);
        now = mlv_desk_now_ms();
        if (!mlv_desk_is_locked(d) && now - d->last_active_ms >= d->idle_ms)
            mlv_desk_lock(d);
        if (launcher_live && (!mlv_desk_gate_pending(d->gate) || now - launched > LAUNCHER_SECONDS * 1000u)) {
            unlink(launcher);
            launcher_live = 0;
        }
    }
    if (launcher_live)
        unlink(launcher);
    return 0;
}

static void say_started(const mlv_desk *d, const char *url, double idle_seconds)
{
    printf("desk open: vault %s unlocked with key '%s', %zu testimon%s\n"
           "open this address in this machine's browser (it works once):\n  %s\n"
           "it locks after %.0f minute%s without use; Ctrl-C closes it.\n"
           "meanwhile list, search, show, status, tag, note, assign, history, report, extract, reply,\n"
           "export-replies and import on this vault use the desk instead of asking the passphrase.\n",
           d->vault_path, d->vault.editor, mlv_desk_index_count(d->index),
           mlv_desk_index_count(d->index) == 1 ? "y" : "ies", url, idle_seconds < 60.0 ? 1.0 : idle_seconds / 60.0,
           idle_seconds <= 60.0 ? "" : "s");
    fflush(stdout);
}

int mlv_cmd_desk(int argc, char **argv)
{
    char sock_path[MLV_DESK_SOCK_PATH_BYTES], url[MLV_DESK_ADDRESS_BYTES], launcher[LAUNCHER_PATH_BYTES] = "";
    struct sigaction sa;
    mlv_desk_http *http = NULL;
    char *vault_path = NULL;
    mlv_desk d;
    options o;
    int rc = parse(argc, argv, &o), sock = -1, tcp;

    if (rc >= 0)
        return rc;
    memset(&d, 0, sizeof d);
    if ((d.vault_path = mlv_vault_path(o.a.vault)) == NULL)
        return 2;
    /* Whoever asks the desk names the vault from their own directory. */
    if ((vault_path = realpath(d.vault_path, NULL)) == NULL) {
        mlv_cli_error("cannot open the vault '%s': %s", d.vault_path, strerror(errno));
        return 1;
    }
    d.vault_path = vault_path;
    if (mlv_desk_sock_path(sock_path, 1) != 0) {
        mlv_cli_error("cannot use the directory for the desk's socket: %s; it must be yours alone (0700)",
                      strerror(errno));
        free(vault_path);
        return 1;
    }
    /* One desk per user: a second start only asks the first for an address. */
    if ((rc = ask_open_desk(sock_path, d.vault_path, &o)) >= 0) {
        free(vault_path);
        return rc;
    }
    rc = 1;
    if (mlv_vault_open(d.vault_path, &d.vault) != 0)
        goto out;
    if (mlv_vault_unlock(&d.vault, o.a.key, o.a.pass_file) != 0 || mlv_desk_open_index(&d) != 0)
        goto out;
    if ((sock = mlv_desk_sock_listen(sock_path)) < 0) {
        if (errno == EADDRINUSE)
            mlv_cli_error("another desk started meanwhile; use it (`malyava desk` gives its address)");
        else
            mlv_cli_error("cannot listen at %s: %s", sock_path, strerror(errno));
        goto out;
    }
    if ((tcp = mlv_desk_http_listen(o.port, &d.port)) < 0) {
        mlv_cli_error("cannot listen on 127.0.0.1:%u: %s%s", o.port, strerror(errno),
                      o.port != 0 ? "; choose another --port, or none" : "");
        goto out;
    }
    d.idle_ms = (uint64_t)(o.idle_seconds * 1000.0);
    d.exit_on_lock = o.exit_on_lock;
    if ((d.gate = mlv_desk_gate_new(d.port)) == NULL || (http = mlv_desk_http_start(tcp, mlv_desk_handle, &d)) == NULL) {
        mlv_cli_error("cannot start the desk's server: out of memory");
        goto out;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL); /* a client gone mid-answer is not our death */
    sigaction(SIGCHLD, &sa, NULL); /* the browser's launcher reaps itself */
    mlv_desk_gate_address(d.gate, url);
    say_started(&d, url, o.idle_seconds);
    if (!o.no_browser && open_browser(url, launcher, sizeof launcher) != 0)
        fprintf(stderr, "malyava: no browser to open here: copy the address above into one\n");
    sodium_memzero(url, sizeof url);
    mlv_desk_touch(&d);
    rc = serve(&d, http, sock, launcher);
    printf("desk closed%s\n", stop_signal != 0 ? "" : " (locked)");
out:
    mlv_desk_http_stop(http);
    if (sock >= 0) {
        close(sock);
        unlink(sock_path);
    }
    mlv_desk_index_free(d.index);
    d.index = NULL;
    mlv_desk_gate_free(d.gate);
    mlv_vault_close(&d.vault);
    free(vault_path);
    return rc;
}
