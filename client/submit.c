/*
 * `malyava submit`: what an intermediary (a lawyer, an NGO) runs to hand a
 * testimony to a drop-box without a browser. Fetches the manifest and
 * checks it against the pinned organisation key (never the server's word),
 * seals to a temporary envelope (ciphertext only), uploads it with tus,
 * and checks that the server's receipt is the one computed here.
 *
 * With --state FILE the envelope and the upload's id outlive the process,
 * so a run killed by a dead battery or a closed laptop continues where
 * the server stopped instead of from zero.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/keyfile.h>
#include <malyava/limits.h>
#include <malyava/manifest.h>

#include "cli.h"
#include "codefile.h"
#include "commands.h"
#include "seal.h"
#include "tus.h"

#define STATE_MAGIC "malyava submit state 1"

typedef struct submit_args {
    const char *url;
    const char *org_path;
    const char *message_file;
    const char *keep_path;
    const char *state_path;
    const char *codename_path; /* --codename-file: the source's way back for replies */
    int resume; /* state_path exists: continue its upload */
    mlv_tus_options tus;
    mlv_seal_request req;
    mlv_field fields[MLV_MAX_FIELDS];
} submit_args;

/* What --state FILE records. */
typedef struct submit_state {
    char url[MLV_SUBMIT_MAX_URL_BYTES + 1];
    char envelope[PATH_MAX];
    int keep;
    uint64_t length;
    char receipt[MLV_RECEIPT_STR_BYTES];
    char id[MLV_TUS_ID_BYTES]; /* "" until the server made the upload */
} submit_state;

/* The envelope to remove if a signal ends the run while it is only a
 * temporary (or half written). */
static volatile sig_atomic_t cleanup_armed;
static char cleanup_file[PATH_MAX];
static char cleanup_dir[PATH_MAX];

static void on_signal(int sig)
{
    if (cleanup_armed) {
        unlink(cleanup_file);
        if (cleanup_dir[0] != '\0')
            rmdir(cleanup_dir);
    }
    raise(sig); /* SA_RESETHAND: the default action now ends the process */
}

static void catch_signals(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}

static void submit_usage(FILE *out)
{
    fprintf(out,
            "usage: malyava submit URL --org-key ORG.pub [--proxy socks5h://HOST:PORT]\n"
            "                      [--message TEXT | --message-file F] [--field NAME=VALUE]...\n"
            "                      [--chunk-size BYTES] [--retries N] [--keep-envelope PATH]\n"
            "                      [--state FILE] [--codename-file F] FILE...\n");
}

/* A decimal number up to `max`, followed by K or M (binary units) when
 * `units` allows. */
static int parse_number(const char *s, int units, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;
    uint64_t unit = 1;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    if (units && (end[0] == 'K' || end[0] == 'k') && end[1] == '\0')
        unit = 1024u;
    else if (units && (end[0] == 'M' || end[0] == 'm') && end[1] == '\0')
        unit = 1024u * 1024u;
    else if (end[0] != '\0')
        return -1;
    if (v > max / unit)
        return -1;
    *out = (uint64_t)v * unit;
    return 0;
}

/* Parses and checks the command line. Returns -1 to go on, or the exit
 * status to return at once (0 after --help, 2 on a usage error). */
static int parse_args(int argc, char **argv, submit_args *a)
{
    static const struct option options[] = {
        { "org-key", required_argument, NULL, 'k' },    { "proxy", required_argument, NULL, 'p' },
        { "message", required_argument, NULL, 't' },    { "message-file", required_argument, NULL, 'f' },
        { "field", required_argument, NULL, 'F' },      { "chunk-size", required_argument, NULL, 'c' },
        { "retries", required_argument, NULL, 'r' },    { "keep-envelope", required_argument, NULL, 'K' },
        { "state", required_argument, NULL, 's' },     { "help", no_argument, NULL, 'h' },
        { "codename-file", required_argument, NULL, 'C' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t v;
    int c;

    a->tus.chunk_bytes = MLV_SUBMIT_DEFAULT_CHUNK_BYTES;
    a->tus.retries = MLV_SUBMIT_DEFAULT_RETRIES;
    a->tus.progress = isatty(STDERR_FILENO);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'k': a->org_path = optarg; break;
        case 'p': a->tus.proxy = optarg; break;
        case 't': a->req.message = optarg; break;
        case 'f': a->message_file = optarg; break;
        case 'K': a->keep_path = optarg; break;
        case 's': a->state_path = optarg; break;
        case 'C': a->codename_path = optarg; break;
        case 'F':
            if (a->req.nfields == MLV_MAX_FIELDS) {
                mlv_cli_error("at most %u --field options", MLV_MAX_FIELDS);
                return 2;
            }
            if (mlv_cli_parse_field(optarg, &a->fields[a->req.nfields]) != 0)
                return 2;
            a->req.nfields++;
            break;
        case 'c':
            if (parse_number(optarg, 1, MLV_SUBMIT_MAX_CHUNK_BYTES, &v) != 0 || v < MLV_SUBMIT_MIN_CHUNK_BYTES) {
                mlv_cli_error("--chunk-size '%s' refused: give %u to %u bytes (K and M suffixes allowed)", optarg,
                              MLV_SUBMIT_MIN_CHUNK_BYTES, MLV_SUBMIT_MAX_CHUNK_BYTES);
                return 2;
            }
            a->tus.chunk_bytes = (size_t)v;
            break;
        case 'r':
            if (parse_number(optarg, 0, MLV_SUBMIT_MAX_RETRIES, &v) != 0) {
                mlv_cli_error("--retries '%s' refused: give a whole number from 0 to %u", optarg,
                              MLV_SUBMIT_MAX_RETRIES);
                return 2;
            }
            a->tus.retries = (unsigned)v;
            break;
        case 'h': submit_usage(stdout); return 0;
        default: submit_usage(stderr); return 2;
        }
    }
    if (optind >= argc || a->org_path == NULL) {
        mlv_cli_error("submit needs the drop-box URL and --org-key");
        submit_usage(stderr);
        return 2;
    }
    a->url = argv[optind];
    a->req.fields = a->fields;
    a->req.paths = argv + optind + 1;
    a->req.npaths = (size_t)(argc - optind - 1);
    if (a->tus.proxy != NULL && mlv_tus_check_proxy(a->tus.proxy) != 0)
        return 2;
    if (mlv_tus_check_url(a->url, a->tus.proxy) != 0)
        return 2;
    if (a->req.message != NULL && a->message_file != NULL) {
        mlv_cli_error("give --message or --message-file, not both");
        return 2;
    }
    a->resume = a->state_path != NULL && access(a->state_path, F_OK) == 0;
    if (a->resume) {
        if (a->req.message != NULL || a->message_file != NULL || a->req.nfields > 0 || a->req.npaths > 0 ||
            a->keep_path != NULL) {
            mlv_cli_error("'%s' holds a submission sealed by an earlier run: to finish it, run again with only the "
                          "URL, --org-key and --state; to start over, delete '%s' and the envelope it names",
                          a->state_path, a->state_path);
            return 2;
        }
    } else if (a->req.message == NULL && a->message_file == NULL && a->req.npaths == 0) {
        mlv_cli_error("nothing to submit: give --message, --message-file or at least one FILE");
        return 2;
    }
    return -1;
}

/* ---- --state FILE ------------------------------------------------------ */

static int state_write(const char *path, const submit_state *s)
{
    char *text = NULL;
    int n, rc;

    n = asprintf(&text, STATE_MAGIC "\nurl %s\nenvelope %s\nkeep %d\nlength %llu\nreceipt %s\nupload %s\n", s->url,
                 s->envelope, s->keep, (unsigned long long)s->length, s->receipt, s->id[0] != '\0' ? s->id : "-");
    if (n < 0) {
        mlv_cli_error("out of memory");
        return -1;
    }
    rc = mlv_file_replace(path, text, (size_t)n);
    if (rc != 0)
        mlv_cli_error("cannot write the state file '%s': %s; check the disk and its permissions", path,
                      strerror(errno));
    free(text);
    return rc;
}

/* Copies the rest of the line after `key ` into out (NUL-terminated);
 * advances *p past the line. */
static int state_line(const char **p, const char *end, const char *key, char *out, size_t out_size)
{
    size_t klen = strlen(key), len;
    const char *nl;

    if ((size_t)(end - *p) <= klen || memcmp(*p, key, klen) != 0 || (*p)[klen] != ' ')
        return -1;
    *p += klen + 1;
    nl = memchr(*p, '\n', (size_t)(end - *p));
    if (nl == NULL)
        return -1;
    len = (size_t)(nl - *p);
    if (len == 0 || len >= out_size || memchr(*p, '\0', len) != NULL)
        return -1;
    memcpy(out, *p, len);
    out[len] = '\0';
    *p = nl + 1;
    return 0;
}

static int state_read(const char *path, submit_state *s)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    const char *p, *end;
    char keep[2], length[24], *length_end;
    unsigned long long v;
    int rc = -1;

    memset(s, 0, sizeof *s);
    if (mlv_file_read_small(path, MLV_MAX_SMALL_FILE_BYTES, &raw, &len) != 0) {
        mlv_cli_error("cannot read the state file '%s': %s", path, strerror(errno));
        return -1;
    }
    p = (const char *)raw;
    end = p + len;
    if (len < sizeof STATE_MAGIC || memcmp(p, STATE_MAGIC "\n", sizeof STATE_MAGIC) != 0)
        goto bad;
    p += sizeof STATE_MAGIC;
    if (state_line(&p, end, "url", s->url, sizeof s->url) != 0 ||
        state_line(&p, end, "envelope", s->envelope, sizeof s->envelope) != 0 ||
        state_line(&p, end, "keep", keep, sizeof keep) != 0 || (keep[0] != '0' && keep[0] != '1') ||
        state_line(&p, end, "length", length, sizeof length) != 0 ||
        state_line(&p, end, "receipt", s->receipt, sizeof s->receipt) != 0 ||
        strlen(s->receipt) != MLV_RECEIPT_STR_BYTES - 1 || state_line(&p, end, "upload", s->id, sizeof s->id) != 0 ||
        p != end)
        goto bad;
    s->keep = keep[0] == '1';
    if (strcmp(s->id, "-") == 0)
        s->id[0] = '\0';
    else if (strlen(s->id) != MLV_TUS_ID_BYTES - 1 || strspn(s->id, "0123456789abcdef") != MLV_TUS_ID_BYTES - 1)
        goto bad;
    errno = 0;
    v = strtoull(length, &length_end, 10);
    if (errno != 0 || *length_end != '\0' || length[0] < '0' || length[0] > '9')
        goto bad;
    s->length = v;
    rc = 0;
    goto out;
bad:
    mlv_cli_error("the state file '%s' is damaged; delete it (and the envelope beside it) and submit again", path);
out:
    free(raw);
    return rc;
}

typedef struct created_ctx {
    const char *state_path; /* NULL without --state */
    submit_state *s;
} created_ctx;

/* Records a new upload's id before any of its bytes leave. */
static int state_created(void *ctx, const char id[MLV_TUS_ID_BYTES])
{
    created_ctx *c = ctx;

    memcpy(c->s->id, id, MLV_TUS_ID_BYTES);
    return c->state_path != NULL ? state_write(c->state_path, c->s) : 0;
}

/* ---- the steps --------------------------------------------------------- */

/* Absolute, so a resumed run finds it from any directory. */
static int absolute_path(const char *path, const char *suffix, char out[PATH_MAX])
{
    char cwd[PATH_MAX];
    int n;

    if (path[0] == '/') {
        n = snprintf(out, PATH_MAX, "%s%s", path, suffix);
    } else {
        if (getcwd(cwd, sizeof cwd) == NULL)
            return -1;
        n = snprintf(out, PATH_MAX, "%s/%s%s", cwd, path, suffix);
    }
    if (n < 0 || n >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* Where the new envelope goes: --keep-envelope PATH, beside the state
 * file, or a fresh 0700 directory under $TMPDIR. */
static int choose_envelope(const submit_args *a, submit_state *s)
{
    const char *tmp = getenv("TMPDIR");
    int n;

    if (a->keep_path != NULL || a->state_path != NULL) {
        if (absolute_path(a->keep_path != NULL ? a->keep_path : a->state_path, a->keep_path != NULL ? "" : ".env",
                          s->envelope) != 0) {
            mlv_cli_error("cannot place the envelope: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    n = snprintf(cleanup_dir, sizeof cleanup_dir, "%s/malyava-submit-XXXXXX",
                 tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof cleanup_dir || mkdtemp(cleanup_dir) == NULL) {
        mlv_cli_error("cannot make a private temporary directory: %s; set TMPDIR to a writable directory",
                      strerror(errno));
        cleanup_dir[0] = '\0';
        return -1;
    }
    n = snprintf(s->envelope, sizeof s->envelope, "%s/envelope", cleanup_dir);
    return n < 0 || (size_t)n >= sizeof s->envelope ? -1 : 0;
}

/* Seals into s->envelope and fills s->length and s->receipt. */
static int seal(const submit_args *a, const mlv_manifest *manifest, submit_state *s)
{
    uint8_t receipt[MLV_RECEIPT_BYTES];
    struct stat st;

    memcpy(cleanup_file, s->envelope, sizeof cleanup_file);
    cleanup_armed = 1;
    if (mlv_seal_to_file(manifest, &a->req, s->envelope, receipt) != 0)
        return -1;
    if (stat(s->envelope, &st) != 0) {
        mlv_cli_error("cannot find the envelope just sealed at '%s': %s", s->envelope, strerror(errno));
        return -1;
    }
    s->length = (uint64_t)st.st_size;
    mlv_env_receipt_to_string(s->receipt, receipt);
    return 0;
}

/* A resumed run: the envelope must still be the one the state describes. */
static int check_envelope(int fd, const submit_state *s)
{
    crypto_generichash_state h;
    uint8_t buf[64 * 1024], receipt[MLV_RECEIPT_BYTES];
    char str[MLV_RECEIPT_STR_BYTES];
    uint64_t total = 0;
    ssize_t n;

    crypto_generichash_init(&h, NULL, 0, MLV_RECEIPT_BYTES);
    while ((n = mlv_file_read_full(fd, buf, sizeof buf)) > 0) {
        crypto_generichash_update(&h, buf, (size_t)n);
        total += (uint64_t)n;
    }
    crypto_generichash_final(&h, receipt, sizeof receipt);
    mlv_env_receipt_to_string(str, receipt);
    if (n < 0 || total != s->length || sodium_memcmp(str, s->receipt, sizeof str) != 0) {
        mlv_cli_error("the envelope '%s' is not the one that was sealed (%s); delete it and the state file, then "
                      "submit again", s->envelope, n < 0 ? strerror(errno) : "its length or digest changed");
        return -1;
    }
    return 0;
}

static int run(submit_args *a)
{
    submit_state s;
    mlv_manifest manifest;
    mlv_tus_client *client = NULL;
    char server_receipt[MLV_RECEIPT_STR_BYTES];
    created_ctx ctx = { a->state_path, &s };
    char *message_buf = NULL;
    size_t message_len = 0;
    mlv_box_keypair *reply = NULL;
    uint8_t token[MLV_CODENAME_TOKEN_BYTES];
    int fd = -1, rc = 1, sealed = 0, saved = 0, finished = 0;

    memset(&s, 0, sizeof s);
    /* With a codename the source can come back for replies: its reply key
     * goes into the sealed record, and is registered once delivered. */
    if (a->codename_path != NULL) {
        if ((reply = mlv_key_box_new()) == NULL || mlv_codefile_load(a->codename_path, !a->resume, reply, token) != 0)
            goto out;
        a->req.has_reply_key = 1;
        memcpy(a->req.reply_key, reply->pk, sizeof a->req.reply_key);
    }
    catch_signals();
    if (a->resume) {
        if (state_read(a->state_path, &s) != 0)
            goto out;
        if (strcmp(s.url, a->url) != 0) {
            mlv_cli_error("'%s' belongs to an upload to %s, not %s; give that URL, or delete the state file to "
                          "start over", a->state_path, s.url, a->url);
            rc = 2;
            goto out;
        }
        sealed = saved = 1;
        fprintf(stderr, "malyava: continuing the upload recorded in '%s'\n", a->state_path);
    }
    client = mlv_tus_new(a->url, &a->tus);
    if (client == NULL)
        goto out;
    if (!a->resume) {
        if (a->message_file != NULL) {
            uint8_t *raw = NULL;

            if (mlv_file_read_small(a->message_file, MLV_MAX_METADATA_BYTES, &raw, &message_len) != 0) {
                mlv_cli_error("cannot read message file '%s': %s", a->message_file,
                              errno == EFBIG ? "longer than a message may be; attach it as a FILE instead"
                                             : strerror(errno));
                goto out;
            }
            message_buf = (char *)raw;
            a->req.message = message_buf;
        }
        if (mlv_seal_fetch_manifest(client, a->org_path, "Nothing was sent", &manifest) != 0 || choose_envelope(a, &s) != 0)
            goto out;
        memcpy(s.url, a->url, strlen(a->url) + 1);
        s.keep = a->keep_path != NULL;
        if (seal(a, &manifest, &s) != 0)
            goto out;
        sealed = 1;
        if (a->state_path != NULL) {
            if (state_write(a->state_path, &s) != 0)
                goto out;
            saved = 1;
        }
        /* From here a kept envelope, or one a state file names, must survive. */
        if (a->state_path != NULL || a->keep_path != NULL)
            cleanup_armed = 0;
    }
    fd = mlv_file_open_read(s.envelope);
    if (fd < 0) {
        mlv_cli_error("cannot open the envelope '%s': %s", s.envelope, strerror(errno));
        goto out;
    }
    if (a->resume && check_envelope(fd, &s) != 0)
        goto out;
    if (mlv_tus_upload(client, fd, s.length, s.id, state_created, &ctx, server_receipt) != 0)
        goto out;
    finished = 1;
    if (sodium_memcmp(server_receipt, s.receipt, MLV_RECEIPT_STR_BYTES) != 0) {
        mlv_cli_error("RECEIPTS DIFFER: the drop-box says it stored %s but what was sealed here is %s. Do not "
                      "rely on this submission; tell the organisation through another channel",
                      server_receipt, s.receipt);
        goto out;
    }
    printf("receipt: %s\n", s.receipt);
    if (fflush(stdout) != 0) {
        mlv_cli_error("cannot print the receipt: %s", strerror(errno));
        goto out;
    }
    fprintf(stderr, "malyava: delivered %llu bytes; the drop-box's receipt matches the envelope sealed here\n",
            (unsigned long long)s.length);
    if (reply != NULL && mlv_codefile_register(client, reply, token) != 0) {
        mlv_cli_error("delivered, but not yet registered for replies; `malyava replies %s --codename-file %s "
                      "--org-key %s` registers and reads them", a->url, a->codename_path, a->org_path);
        goto out;
    }
    if (reply != NULL)
        fprintf(stderr, "malyava: come back for replies with: malyava replies %s --codename-file %s --org-key %s\n",
                a->url, a->codename_path, a->org_path);
    rc = 0;
out:
    mlv_key_box_free(reply);
    sodium_memzero(token, sizeof token);
    if (fd >= 0)
        close(fd);
    mlv_tus_free(client);
    if (message_buf != NULL) {
        sodium_memzero(message_buf, message_len);
        free(message_buf);
    }
    if (saved && finished)
        unlink(a->state_path);
    else if (saved && rc == 1)
        fprintf(stderr, "malyava: the upload can be continued later with: malyava submit %s --org-key %s "
                        "--state %s\n", a->url, a->org_path, a->state_path);
    /* A temporary envelope goes whatever happened; a kept one stays; one
     * a state file names goes once the upload is over. */
    if (sealed && !s.keep && (!saved || finished))
        unlink(s.envelope);
    if (cleanup_dir[0] != '\0')
        rmdir(cleanup_dir);
    cleanup_armed = 0;
    return rc;
}

int mlv_cmd_submit(int argc, char **argv)
{
    submit_args a;
    int rc;

    memset(&a, 0, sizeof a);
    rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        mlv_cli_error("cannot start libcurl; check the system's TLS libraries");
        return 1;
    }
    rc = run(&a);
    curl_global_cleanup();
    return rc;
}
