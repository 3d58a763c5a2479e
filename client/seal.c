/*
 * `malyava seal`, and the sealing of files from disk that `submit` shares.
 */
#include "seal.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/keyfile.h>
#include <malyava/limits.h>

#include "cli.h"
#include "commands.h"

/* Large reads keep the sealer near raw cipher speed; small enough to stay
 * far under the memory bound. */
#define SEAL_IO_BYTES (1024u * 1024u)

static int read_text_file(const char *path, const char *what, char **out, size_t *len)
{
    uint8_t *buf = NULL;

    if (mlv_file_read_small(path, MLV_MAX_SMALL_FILE_BYTES, &buf, len) != 0) {
        mlv_cli_error("cannot read %s '%s': %s", what, path,
                      errno == EFBIG ? "too large to be one" : strerror(errno));
        return -1;
    }
    *out = (char *)buf;
    return 0;
}

int mlv_seal_load_org(const char *org_path, mlv_org_public *out)
{
    char *text = NULL;
    size_t len = 0;
    mlv_man_status st;

    if (read_text_file(org_path, "organisation key", &text, &len) != 0)
        return -1;
    if (mlv_key_is_secret_file((const uint8_t *)text, len)) {
        mlv_cli_error("cannot use '%s': %s", org_path, mlv_key_strerror(MLV_KEY_ERR_SECRET_GIVEN));
        free(text);
        return -1;
    }
    st = mlv_org_public_parse(text, len, out);
    free(text);
    if (st != MLV_MAN_OK) {
        mlv_cli_error("'%s' is not an organisation public key: %s", org_path, mlv_man_strerror(st));
        return -1;
    }
    return 0;
}

/* The manifest and its signature, from files or from the drop-box. */
static int manifest_texts(mlv_tus_client *client, const char *manifest_path, char **text, size_t *text_len,
                          char **sig, size_t *sig_len)
{
    char *sig_path = NULL;
    int rc;

    if (client != NULL)
        return mlv_tus_get(client, "/manifest", MLV_MAX_SMALL_FILE_BYTES, text, text_len) != 0 ||
                       mlv_tus_get(client, "/manifest.minisig", MLV_MAX_SMALL_FILE_BYTES, sig, sig_len) != 0
                   ? -1
                   : 0;
    if (asprintf(&sig_path, "%s.minisig", manifest_path) < 0) {
        mlv_cli_error("out of memory");
        return -1;
    }
    rc = read_text_file(manifest_path, "manifest", text, text_len) != 0 ||
                 read_text_file(sig_path, "manifest signature", sig, sig_len) != 0
             ? -1
             : 0;
    free(sig_path);
    return rc;
}

static int load_manifest(mlv_tus_client *client, const char *manifest_path, const char *org_path,
                         const char *consequence, mlv_manifest *out)
{
    char *text = NULL, *sig = NULL;
    size_t text_len = 0, sig_len = 0;
    mlv_org_public org;
    mlv_man_status st;
    int rc = -1;

    if (mlv_seal_load_org(org_path, &org) != 0 ||
        manifest_texts(client, manifest_path, &text, &text_len, &sig, &sig_len) != 0)
        goto out;
    st = mlv_man_verify(text, text_len, sig, sig_len, &org, mlv_day_today(), 0, out);
    if (st != MLV_MAN_OK && client == NULL)
        mlv_cli_error("manifest '%s' refused: %s", manifest_path, mlv_man_strerror(st));
    else if (st != MLV_MAN_OK)
        mlv_cli_error("the drop-box's manifest is refused: %s. %s. Check that '%s' is this organisation's key, and "
                      "tell the organisation through another channel", mlv_man_strerror(st), consequence, org_path);
    rc = st == MLV_MAN_OK ? 0 : -1;
out:
    free(text);
    free(sig);
    return rc;
}

int mlv_seal_load_manifest(const char *manifest_path, const char *org_path, mlv_manifest *out)
{
    return load_manifest(NULL, manifest_path, org_path, NULL, out);
}

int mlv_seal_fetch_manifest(mlv_tus_client *client, const char *org_path, const char *consequence,
                            mlv_manifest *out)
{
    return load_manifest(client, NULL, org_path, consequence, out);
}

/* First pass: length and digest, so the metadata record can lead the stream. */
static int describe_file(const char *path, uint8_t *buf, mlv_file_info *info)
{
    crypto_generichash_state state;
    uint64_t total = 0;
    ssize_t n;
    int rc = -1, fd = mlv_file_open_read(path);

    if (fd < 0) {
        mlv_cli_error("cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    crypto_generichash_init(&state, NULL, 0, MLV_FILE_DIGEST_BYTES);
    while ((n = mlv_file_read_full(fd, buf, SEAL_IO_BYTES)) > 0) {
        crypto_generichash_update(&state, buf, (size_t)n);
        total += (uint64_t)n;
    }
    if (n < 0) {
        mlv_cli_error("cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    crypto_generichash_final(&state, info->digest, MLV_FILE_DIGEST_BYTES);
    info->length = total;
    rc = 0;
out:
    close(fd);
    return rc;
}

static int write_fd(void *ctx, const uint8_t *buf, size_t len)
{
    return mlv_file_write_all(*(int *)ctx, buf, len);
}

static int stream_file(mlv_pay_sealer *sealer, const char *path, uint8_t *buf)
{
    mlv_env_status st;
    ssize_t n;
    int rc = -1, fd = mlv_file_open_read(path);

    if (fd < 0) {
        mlv_cli_error("cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    while ((n = mlv_file_read_full(fd, buf, SEAL_IO_BYTES)) > 0) {
        st = mlv_pay_seal_data(sealer, buf, (size_t)n);
        if (st != MLV_ENV_OK) {
            mlv_cli_error("sealing '%s' failed: %s", path, mlv_env_strerror(st));
            goto out;
        }
    }
    if (n < 0) {
        mlv_cli_error("cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    close(fd);
    return rc;
}

int mlv_seal_to_file(const mlv_manifest *manifest, const mlv_seal_request *req, const char *out_path,
                     uint8_t receipt[MLV_RECEIPT_BYTES])
{
    mlv_file_info *files = NULL;
    mlv_pay_sealer *sealer = NULL;
    mlv_metadata meta;
    mlv_env_status st;
    uint8_t *buf = NULL;
    int fd = -1, rc = -1, created = 0;

    memset(&meta, 0, sizeof meta);
    buf = malloc(SEAL_IO_BYTES);
    files = calloc(req->npaths > 0 ? req->npaths : 1, sizeof *files);
    if (buf == NULL || files == NULL) {
        mlv_cli_error("out of memory");
        goto out;
    }
    for (size_t i = 0; i < req->npaths; i++) {
        const char *name = mlv_cli_basename(req->paths[i]);

        if (mlv_meta_name_ok(name, strlen(name)) != 0) {
            mlv_cli_error("'%s' cannot be sent under that name; rename the file (1 to %u bytes of "
                          "UTF-8, no control characters)", req->paths[i], MLV_MAX_NAME_BYTES);
            goto out;
        }
        /* The record does not own these strings; mlv_meta_clear is not called. */
        files[i].name = (char *)name;
        files[i].media_type = (char *)mlv_cli_media_type(name);
        files[i].meta = MLV_FILE_META_NONE;
        if (describe_file(req->paths[i], buf, &files[i]) != 0)
            goto out;
    }
    meta.message = (char *)req->message;
    meta.fields = (mlv_field *)req->fields;
    meta.nfields = req->nfields;
    meta.files = files;
    meta.nfiles = req->npaths;
    meta.has_reply_key = req->has_reply_key;
    memcpy(meta.reply_key, req->reply_key, sizeof meta.reply_key);

    fd = mlv_file_create(out_path);
    if (fd < 0) {
        mlv_cli_error("cannot create '%s': %s%s", out_path, strerror(errno),
                      errno == EEXIST ? " (choose another name; nothing is overwritten)" : "");
        goto out;
    }
    created = 1;
    st = mlv_pay_seal_new(&sealer, manifest->keys, manifest->nkeys, 0, &meta, write_fd, &fd);
    if (st != MLV_ENV_OK) {
        mlv_cli_error("cannot seal: %s", mlv_env_strerror(st));
        goto out;
    }
    for (size_t i = 0; i < req->npaths; i++) {
        if (stream_file(sealer, req->paths[i], buf) != 0)
            goto out;
    }
    st = mlv_pay_seal_finish(sealer, receipt);
    if (st != MLV_ENV_OK) {
        mlv_cli_error("cannot seal: %s", mlv_env_strerror(st));
        goto out;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        mlv_cli_error("cannot write '%s': %s", out_path, strerror(errno));
        goto out;
    }
    fd = -1;
    if (mlv_file_sync_parent(out_path) != 0) {
        mlv_cli_error("cannot sync the directory of '%s': %s", out_path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    mlv_pay_seal_free(sealer);
    if (fd >= 0)
        close(fd);
    if (rc != 0 && created)
        unlink(out_path);
    free(files);
    free(buf);
    return rc;
}

static void seal_usage(FILE *out)
{
    fprintf(out, "usage: malyava seal --manifest MANIFEST --org-key ORG.pub [--message TEXT | --message-file F]\n"
                 "                    [--field NAME=VALUE]... [FILE]... -o OUT\n");
}

int mlv_cmd_seal(int argc, char **argv)
{
    static const struct option options[] = {
        { "manifest", required_argument, NULL, 'm' }, { "org-key", required_argument, NULL, 'k' },
        { "message", required_argument, NULL, 't' },  { "message-file", required_argument, NULL, 'f' },
        { "field", required_argument, NULL, 'F' },    { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
    };
    const char *manifest_path = NULL, *org_path = NULL, *out_path = NULL, *message_file = NULL;
    char *message_buf = NULL;
    mlv_field fields[MLV_MAX_FIELDS];
    mlv_seal_request req;
    mlv_manifest manifest;
    uint8_t receipt[MLV_RECEIPT_BYTES];
    char receipt_str[MLV_RECEIPT_STR_BYTES];
    size_t message_len = 0;
    int c, rc = 1;

    memset(&req, 0, sizeof req);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (c) {
        case 'm': manifest_path = optarg; break;
        case 'k': org_path = optarg; break;
        case 't': req.message = optarg; break;
        case 'f': message_file = optarg; break;
        case 'o': out_path = optarg; break;
        case 'F':
            if (req.nfields == MLV_MAX_FIELDS) {
                mlv_cli_error("at most %u --field options", MLV_MAX_FIELDS);
                return 2;
            }
            if (mlv_cli_parse_field(optarg, &fields[req.nfields]) != 0)
                return 2;
            req.nfields++;
            break;
        case 'h': seal_usage(stdout); return 0;
        default: seal_usage(stderr); return 2;
        }
    }
    if (manifest_path == NULL || org_path == NULL || out_path == NULL) {
        mlv_cli_error("seal needs --manifest, --org-key and -o");
        seal_usage(stderr);
        return 2;
    }
    if (req.message != NULL && message_file != NULL) {
        mlv_cli_error("give --message or --message-file, not both");
        return 2;
    }
    req.fields = fields;
    req.paths = argv + optind;
    req.npaths = (size_t)(argc - optind);
    if (req.message == NULL && message_file == NULL && req.npaths == 0) {
        mlv_cli_error("nothing to seal: give --message, --message-file or at least one FILE");
        return 2;
    }
    if (message_file != NULL) {
        uint8_t *raw = NULL;

        if (mlv_file_read_small(message_file, MLV_MAX_METADATA_BYTES, &raw, &message_len) != 0) {
            mlv_cli_error("cannot read message file '%s': %s", message_file,
                          errno == EFBIG ? "longer than a message may be; attach it as a FILE instead"
                                         : strerror(errno));
            return 1;
        }
        message_buf = (char *)raw;
        req.message = message_buf;
    }
    if (mlv_seal_load_manifest(manifest_path, org_path, &manifest) != 0)
        goto out;
    if (mlv_seal_to_file(&manifest, &req, out_path, receipt) != 0)
        goto out;
    mlv_env_receipt_to_string(receipt_str, receipt);
    printf("sealed to %zu editor key%s: %s\nreceipt: %s\n", manifest.nkeys, manifest.nkeys == 1 ? "" : "s",
           out_path, receipt_str);
    rc = 0;
out:
    if (message_buf != NULL) {
        sodium_memzero(message_buf, message_len);
        free(message_buf);
    }
    return rc;
}
