/*
 * `malyava replies URL --codename-file F`: what a source (or the lawyer
 * who submitted for them) runs to read the organisation's answers. The
 * codename derives the login token and the reply key (docs/FORMAT.md §5);
 * the drop-box only ever holds sealed replies and a hash of the token.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include <malyava/keyfile.h>
#include <malyava/limits.h>
#include <malyava/payload.h>
#include <malyava/termsafe.h>

#include "cli.h"
#include "codefile.h"
#include "commands.h"
#include "replies_wire.h"
#include "tus.h"

typedef struct reader {
    const mlv_box_keypair *key;
    size_t shown, bad;
} reader;

static int print_message(void *ctx, const mlv_metadata *m)
{
    size_t *shown = ctx;

    printf("--- reply %zu ---\n", ++*shown);
    if (m->message != NULL)
        mlv_termsafe_write(stdout, m->message, strlen(m->message), 1);
    printf("\n");
    return 0;
}

static int open_reply(void *ctx, const uint8_t *env, size_t len)
{
    static const mlv_pay_callbacks cb = { print_message, NULL, NULL };
    reader *r = ctx;
    mlv_pay_opener *o = NULL;
    uint8_t receipt[MLV_RECEIPT_BYTES];
    mlv_env_status st = mlv_pay_open_new(&o, &r->key, 1, &cb, &r->shown);

    if (st == MLV_ENV_OK)
        st = mlv_pay_open_feed(o, env, len);
    if (st == MLV_ENV_OK)
        st = mlv_pay_open_finish(o, receipt);
    mlv_pay_open_free(o);
    if (st != MLV_ENV_OK) {
        r->bad++;
        mlv_cli_error("a reply does not open with this codename (%s); it was not for you, or it was changed",
                      mlv_env_strerror(st));
    }
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: malyava replies URL --codename-file FILE [--proxy socks5h://HOST:PORT]\n");
}

int mlv_cmd_replies(int argc, char **argv)
{
    static const struct option options[] = {
        { "codename-file", required_argument, NULL, 'c' },
        { "proxy", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    mlv_tus_options opts = { .chunk_bytes = MLV_SUBMIT_DEFAULT_CHUNK_BYTES, .retries = MLV_SUBMIT_DEFAULT_RETRIES };
    const char *codefile = NULL;
    mlv_box_keypair *key = NULL;
    mlv_tus_client *client = NULL;
    uint8_t token[MLV_CODENAME_TOKEN_BYTES];
    char token_hex[MLV_CODENAME_TOKEN_HEX_BYTES], *body = NULL;
    size_t body_len = 0;
    long status = 0;
    reader r = { 0 };
    int c, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'c': codefile = optarg; break;
        case 'p': opts.proxy = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc || codefile == NULL) {
        usage(stderr);
        return 2;
    }
    if ((opts.proxy != NULL && mlv_tus_check_proxy(opts.proxy) != 0) || mlv_tus_check_url(argv[optind], opts.proxy) != 0)
        return 2;
    if ((key = mlv_key_box_new()) == NULL || mlv_codefile_load(codefile, 0, key, token) != 0)
        goto out;
    r.key = key;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (client = mlv_tus_new(argv[optind], &opts)) == NULL)
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
        printf("%zu repl%s\n", r.shown, r.shown == 1 ? "y" : "ies");
        rc = r.bad > 0 ? 1 : 0;
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
