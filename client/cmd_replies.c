/*
 * `malyava replies URL --codename-file F --org-key ORG.pub`: what a source
 * (or the lawyer who submitted for them) runs to read the organisation's
 * answers. The codename derives the login token and the reply key
 * (docs/FORMAT.md §5); the drop-box only ever holds sealed replies and a
 * hash of the token. The reply key is public, so whoever holds the server
 * can seal text to it: a reply is shown only with its proof that an editor
 * key of the manifest made it (§4.5), the manifest checked with the
 * pinned organisation key. Everything else is counted and not shown.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include <malyava/keyfile.h>
#include <malyava/limits.h>
#include <malyava/reply.h>
#include <malyava/termsafe.h>

#include "cli.h"
#include "codefile.h"
#include "commands.h"
#include "replies_wire.h"
#include "seal.h"
#include "tus.h"

typedef struct reader {
    const mlv_box_keypair *key;
    const mlv_manifest *manifest;
    size_t seen, shown, hidden;
} reader;

static int print_message(void *ctx, const mlv_metadata *m)
{
    reader *r = ctx;

    printf("--- reply %zu, proven to come from the organisation ---\n", ++r->shown);
    if (m->message != NULL)
        mlv_termsafe_write(stdout, m->message, strlen(m->message), 1);
    printf("\n");
    return 0;
}

/* Words for a source who may be frightened and is certainly in a hurry. */
static void say_hidden(size_t n, mlv_reply_status st)
{
    printf("--- message %zu: NOT SHOWN ---\n", n);
    switch (st) {
    case MLV_REPLY_ERR_NOT_FOR_ME:
        printf("It does not open with your codename: it was not meant for you, or it was changed on the way.\n");
        return;
    case MLV_REPLY_ERR_UNLISTED:
        printf("It claims a key the organisation does not use now (a retired key, or one that was never theirs).\n"
               "A retired key may be in the wrong hands, so it is not shown. If you were waiting for an answer,\n"
               "the organisation can send it again.\n");
        break;
    case MLV_REPLY_ERR_ENVELOPE:
        printf("It comes from the organisation but is damaged and cannot be read.\n");
        return;
    default:
        printf("It cannot be proven to come from the organisation. Whoever runs or has seized the drop-box can\n"
               "write messages like this one.\n");
        break;
    }
    printf("Do not act on it. Never send your name, phone number or where you are because a message asks.\n");
}

static int open_reply(void *ctx, const uint8_t *env, size_t len)
{
    static const mlv_pay_callbacks cb = { print_message, NULL, NULL };
    reader *r = ctx;
    mlv_reply_result res;
    mlv_reply_status st;

    r->seen++;
    st = mlv_reply_open(env, len, r->key, r->manifest, &cb, r, &res);
    if (st != MLV_REPLY_OK) {
        r->hidden++;
        say_hidden(r->seen, st);
    }
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: malyava replies URL --codename-file FILE --org-key ORG.pub [--proxy socks5h://HOST:PORT]\n");
}

int mlv_cmd_replies(int argc, char **argv)
{
    static const struct option options[] = {
        { "codename-file", required_argument, NULL, 'c' },
        { "proxy", required_argument, NULL, 'p' },
        { "org-key", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    mlv_tus_options opts = { .chunk_bytes = MLV_SUBMIT_DEFAULT_CHUNK_BYTES, .retries = MLV_SUBMIT_DEFAULT_RETRIES };
    const char *codefile = NULL, *org_path = NULL;
    mlv_box_keypair *key = NULL;
    mlv_tus_client *client = NULL;
    uint8_t token[MLV_CODENAME_TOKEN_BYTES];
    char token_hex[MLV_CODENAME_TOKEN_HEX_BYTES], *body = NULL;
    size_t body_len = 0;
    long status = 0;
    mlv_manifest manifest;
    reader r = { 0 };
    int c, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'c': codefile = optarg; break;
        case 'p': opts.proxy = optarg; break;
        case 'k': org_path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc || codefile == NULL || org_path == NULL) {
        if (org_path == NULL)
            mlv_cli_error("replies needs --org-key: the organisation's public key, from a source you trust (not "
                          "this drop-box), tells its replies from anything else");
        usage(stderr);
        return 2;
    }
    if ((opts.proxy != NULL && mlv_tus_check_proxy(opts.proxy) != 0) || mlv_tus_check_url(argv[optind], opts.proxy) != 0)
        return 2;
    if ((key = mlv_key_box_new()) == NULL || mlv_codefile_load(codefile, 0, key, token) != 0)
        goto out;
    r.key = key;
    r.manifest = &manifest;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (client = mlv_tus_new(argv[optind], &opts)) == NULL)
        goto out;
    if (mlv_seal_fetch_manifest(client, org_path, "No reply is shown", &manifest) != 0)
        goto out;
    /* Every time: an account no reply waits for expires on a fixed day
     * (or makes room for newer ones), and registering again links the
     * codename back to every reply sent since. */
    if (mlv_codefile_register(client, key, token) != 0)
        goto out;
    sodium_bin2hex(token_hex, sizeof token_hex, token, sizeof token);
    if (mlv_tus_post(client, "/api/v1/replies/fetch", token_hex, strlen(token_hex), MLV_SRV_FETCH_MAX_BYTES, &status,
                     &body, &body_len) != 0)
        goto out;
    if (status == 204) {
        printf("no replies yet\n");
        rc = 0;
    } else if (status != 200) {
        mlv_cli_error("the drop-box answered HTTP %ld to the replies request", status);
    } else if (mlv_replies_wire_split((const uint8_t *)body, body_len, open_reply, &r) != 0) {
        mlv_cli_error("the drop-box's answer is not a list of replies; it may not be a Malyava drop-box");
    } else {
        if (r.hidden > 0)
            printf("%zu message%s not shown: %s\n", r.hidden, r.hidden == 1 ? "" : "s",
                   "no proof that the organisation sent them");
        printf("%zu repl%s\n", r.shown, r.shown == 1 ? "y" : "ies");
        rc = r.hidden > 0 ? 1 : 0;
    }
out:
    sodium_memzero(token, sizeof token);
    sodium_memzero(token_hex, sizeof token_hex);
    free(body);
    mlv_tus_free(client);
    mlv_key_box_free(key);
    curl_global_cleanup();
    return rc;
}
