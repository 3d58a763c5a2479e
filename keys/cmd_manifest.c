/* malyava-keys manifest sign | verify. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <malyava/fileio.h>
#include <malyava/keyid.h>

#include "keys.h"

#define SIGN_USAGE                                                                                           \
    "malyava-keys [--dir DIR] manifest sign [--add PUB]... [--retire KEYID|PUB]... [--days N] "             \
    "[--passphrase-file F]"
#define VERIFY_USAGE "malyava-keys [--dir DIR] manifest verify [--org-key ORG.pub] [MANIFEST]"
#define MANIFEST_USAGE SIGN_USAGE "\n       " VERIFY_USAGE

/* More --add or --retire than a manifest can hold is a mistake. */
#define MAX_CHANGES MLV_MAX_MANIFEST_KEYS

/* A manifest and its signature as read from disk. */
typedef struct signed_text {
    char *text, *sig;
    size_t text_len, sig_len;
} signed_text;

static void signed_text_free(signed_text *s)
{
    free(s->text);
    free(s->sig);
    memset(s, 0, sizeof *s);
}

static int read_text(const char *path, const char *what, char **out, size_t *len)
{
    uint8_t *buf = NULL;

    if (mlv_file_read_small(path, MLV_MAX_SMALL_FILE_BYTES, &buf, len) != 0) {
        if (errno == EFBIG)
            return mlv_keys_fail("cannot read the %s '%s': larger than any %s. Check the path", what, path, what);
        return mlv_keys_fail("cannot read the %s '%s': %s. Check the path and its permissions", what, path,
                             strerror(errno));
    }
    *out = (char *)buf;
    return 0;
}

/* Reads `path` and `path`.minisig. */
static int read_signed(const char *path, signed_text *out)
{
    char *sig_path = NULL;
    int rc = MLV_KEYS_EXIT_FAIL;

    memset(out, 0, sizeof *out);
    if (asprintf(&sig_path, "%s.minisig", path) < 0)
        return mlv_keys_fail("out of memory. Close other programs");
    if (read_text(path, "manifest", &out->text, &out->text_len) == 0 &&
        read_text(sig_path, "manifest signature", &out->sig, &out->sig_len) == 0)
        rc = 0;
    free(sig_path);
    if (rc != 0)
        signed_text_free(out);
    return rc;
}

static int load_org_public(const char *path, mlv_org_public *org)
{
    mlv_key_status st = mlv_key_org_public_load(path, org);

    if (st == MLV_KEY_ERR_CORRUPT)
        return mlv_keys_fail("cannot use the organisation public key '%s': not a Malyava organisation key "
                             "(a minisign public key whose key id is its BLAKE2b id). Check the path",
                             path);
    return st == MLV_KEY_OK ? 0 : mlv_keys_key_fail("cannot read the organisation public key", path, st);
}

/*
 * The signature, text and serial are checked as usual; the dates are not,
 * because renewing an expired manifest is exactly what `sign` is for.
 */
static mlv_man_status verify_ignoring_dates(const signed_text *s, const mlv_org_public *org, mlv_manifest *out)
{
    mlv_man_status st = mlv_man_parse(s->text, s->text_len, out);

    if (st == MLV_MAN_OK)
        st = mlv_man_verify(s->text, s->text_len, s->sig, s->sig_len, org, out->issued_day, 0, out);
    return st;
}

static int key_from_arg(const char *arg, uint8_t id[MLV_KEY_ID_BYTES], mlv_box_public *pub)
{
    mlv_key_status st;

    if (mlv_keyid_from_hex(id, arg, strlen(arg)) == 0)
        return 0;
    st = mlv_key_box_public_load(arg, pub, NULL, 0);
    if (st != MLV_KEY_OK)
        return mlv_keys_key_fail("cannot read the editor public key", arg, st);
    memcpy(id, pub->id, MLV_KEY_ID_BYTES);
    return 0;
}

static int by_id(const void *a, const void *b)
{
    return memcmp(((const mlv_box_public *)a)->id, ((const mlv_box_public *)b)->id, MLV_KEY_ID_BYTES);
}

/* old keys + added - retired, into `m`. */
static int apply_changes(mlv_manifest *m, char *const *add, size_t nadd, char *const *retire, size_t nretire)
{
    char hex[MLV_KEY_ID_STR_BYTES];

    for (size_t i = 0; i < nretire; i++) {
        uint8_t id[MLV_KEY_ID_BYTES];
        mlv_box_public pub;
        int at;

        if (key_from_arg(retire[i], id, &pub) != 0)
            return -1;
        at = mlv_man_find(m, id);
        if (at < 0) {
            mlv_keyid_to_hex(hex, id);
            return mlv_keys_fail("cannot retire %s: key %s is not in the manifest. Check the key id", retire[i],
                                 hex);
        }
        memmove(&m->keys[at], &m->keys[at + 1], (m->nkeys - (size_t)at - 1u) * sizeof m->keys[0]);
        m->nkeys--;
    }
    for (size_t i = 0; i < nadd; i++) {
        mlv_box_public pub;
        mlv_key_status st = mlv_key_box_public_load(add[i], &pub, NULL, 0);

        if (st != MLV_KEY_OK)
            return mlv_keys_key_fail("cannot read the editor public key", add[i], st);
        if (mlv_man_find(m, pub.id) >= 0) {
            mlv_keyid_to_hex(hex, pub.id);
            return mlv_keys_fail("cannot add %s: key %s is already in the manifest. Leave it out of --add", add[i],
                                 hex);
        }
        if (m->nkeys == MLV_MAX_MANIFEST_KEYS)
            return mlv_keys_fail("cannot add %s: a manifest holds at most %u editor keys. Retire some first", add[i],
                                 MLV_MAX_MANIFEST_KEYS);
        m->keys[m->nkeys++] = pub;
        qsort(m->keys, m->nkeys, sizeof m->keys[0], by_id);
    }
    if (m->nkeys == 0)
        return mlv_keys_fail("cannot sign a manifest without editor keys: sources could seal to nobody. Add one "
                             "with --add");
    return 0;
}

/* Writes the new pair, keeping the old one as manifest.previous(.minisig). */
static int install(const char *dir, const signed_text *old, const char *text, size_t text_len, const char *sig,
                   size_t sig_len)
{
    static const char *const names[] = { "manifest.previous", "manifest.previous.minisig", "manifest.minisig",
                                         "manifest" };
    const char *bufs[4] = { old->text, old->sig, sig, text };
    size_t lens[4] = { old->text_len, old->sig_len, sig_len, text_len };
    int rc = 0;

    for (size_t i = old->text != NULL ? 0 : 2; i < 4 && rc == 0; i++) {
        char *path = mlv_keys_path(dir, names[i]);

        if (path != NULL && mlv_file_replace(path, bufs[i], lens[i]) == 0)
            rc = mlv_keys_make_public(path) == 0 ? 0 : MLV_KEYS_EXIT_FAIL;
        else
            rc = mlv_keys_fail("cannot write '%s': %s. Check free space and permissions; if the manifest and "
                               "its signature now disagree, restore both from manifest.previous",
                               path != NULL ? path : names[i], strerror(errno));
        free(path);
    }
    return rc;
}

static int sign_with_org_key(const mlv_keys_opts *o, const mlv_org_public *org, const char *text, size_t text_len,
                             const mlv_manifest *m, char **sig, size_t *sig_len)
{
    char *key_path = mlv_keys_path(o->dir, "org.key"), prompt[512], *pass = NULL;
    size_t pass_len = 0;
    uint8_t *sk = NULL;
    mlv_org_public from_secret;
    mlv_key_status st;
    int rc = MLV_KEYS_EXIT_FAIL;

    if (key_path == NULL)
        return mlv_keys_fail("out of memory. Close other programs");
    snprintf(prompt, sizeof prompt, "Passphrase for %s: ", key_path);
    if (mlv_keys_passphrase(o->pass_file, prompt, key_path, 0, &pass, &pass_len) != 0)
        goto out;
    st = mlv_key_org_load(key_path, pass, pass_len, &sk, &from_secret);
    if (st != MLV_KEY_OK) {
        mlv_keys_key_fail("cannot open the organisation key", key_path, st);
        goto out;
    }
    if (memcmp(from_secret.pk, org->pk, sizeof org->pk) != 0) {
        mlv_keys_fail("'%s' and org.pub in '%s' are not one key pair. Restore the matching org.pub from your "
                      "backup", key_path, o->dir);
        goto out;
    }
    if (mlv_man_sign(text, text_len, m, org->id, sk, sig, sig_len) != 0) {
        mlv_keys_fail("cannot sign the manifest: out of memory. Close other programs");
        goto out;
    }
    rc = 0;
out:
    mlv_key_org_free(sk);
    mlv_pass_free(pass);
    free(key_path);
    return rc;
}

static int cmd_sign(int argc, char **argv, mlv_keys_opts *o)
{
    static const struct option options[] = {
        MLV_KEYS_OPT_DIR, MLV_KEYS_OPT_PASS, MLV_KEYS_OPT_HELP,
        { "add", required_argument, NULL, 'a' },
        { "retire", required_argument, NULL, 'r' },
        { "days", required_argument, NULL, 'd' },
        { NULL, 0, NULL, 0 },
    };
    char *add[MAX_CHANGES], *retire[MAX_CHANGES], *org_path = NULL, *man_path = NULL, *text = NULL, *sig = NULL;
    size_t nadd = 0, nretire = 0, text_len = 0, sig_len = 0;
    unsigned long days = MLV_DEFAULT_MANIFEST_DAYS;
    signed_text old = { 0 };
    mlv_org_public org;
    mlv_manifest m, check;
    int64_t today = mlv_day_today();
    int c, rc = MLV_KEYS_EXIT_FAIL;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        char *end = NULL;
        int r = mlv_keys_common_option(c, optarg, o, SIGN_USAGE);

        if (r < 0)
            return MLV_KEYS_EXIT_USAGE;
        if (r > 0)
            continue;
        switch (c) {
        case 'h':
            printf("usage: %s\n", SIGN_USAGE);
            return MLV_KEYS_EXIT_OK;
        case 'a':
        case 'r':
            if ((c == 'a' ? nadd : nretire) == MAX_CHANGES)
                return mlv_keys_usage(SIGN_USAGE, "more than %u --add or --retire", MAX_CHANGES);
            if (c == 'a')
                add[nadd++] = optarg;
            else
                retire[nretire++] = optarg;
            break;
        case 'd':
            errno = 0;
            days = strtoul(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || errno != 0 || *end != '\0' || days < 1 ||
                days > MLV_MAX_MANIFEST_DAYS)
                return mlv_keys_usage(SIGN_USAGE, "--days '%s' must be a whole number from 1 to %u", optarg,
                                      MLV_MAX_MANIFEST_DAYS);
            break;
        default:
            return mlv_keys_bad_option(argv, SIGN_USAGE);
        }
    }
    if (optind != argc)
        return mlv_keys_usage(SIGN_USAGE, "manifest sign takes no operand, got '%s'", argv[optind]);

    org_path = mlv_keys_path(o->dir, "org.pub");
    man_path = mlv_keys_path(o->dir, "manifest");
    if (org_path == NULL || man_path == NULL) {
        mlv_keys_fail("out of memory. Close other programs");
        goto out;
    }
    if (load_org_public(org_path, &org) != 0)
        goto out;
    memset(&m, 0, sizeof m);
    if (access(man_path, F_OK) == 0 || errno != ENOENT) {
        mlv_man_status st;

        if (read_signed(man_path, &old) != 0)
            goto out;
        st = verify_ignoring_dates(&old, &org, &m);
        if (st != MLV_MAN_OK) {
            mlv_keys_fail("the current manifest '%s' does not verify, so it cannot be the base of the next one: %s",
                          man_path, mlv_man_strerror(st));
            goto out;
        }
        if (m.serial == UINT64_MAX) {
            mlv_keys_fail("the current manifest's serial cannot grow any more. Start over with a new organisation "
                          "key");
            goto out;
        }
        if (today < m.issued_day) {
            char issued[11];

            mlv_day_format(issued, m.issued_day);
            mlv_keys_fail("today is before the current manifest's issue day %s. Check this computer's date",
                          issued);
            goto out;
        }
    }
    if (apply_changes(&m, add, nadd, retire, nretire) != 0)
        goto out;
    m.serial++;
    m.issued_day = today;
    m.expires_day = today + (int64_t)days;
    if (mlv_man_format(&m, &text, &text_len) != 0) {
        mlv_keys_fail("cannot format the manifest: out of memory or a date past 9999. Check this computer's date");
        goto out;
    }
    if (sign_with_org_key(o, &org, text, text_len, &m, &sig, &sig_len) != 0)
        goto out;
    /* What is installed must pass the check every reader makes. */
    if (mlv_man_verify(text, text_len, sig, sig_len, &org, today, m.serial, &check) != MLV_MAN_OK) {
        mlv_keys_fail("the new signature does not verify; nothing was written. Report this as a bug");
        goto out;
    }
    if (install(o->dir, &old, text, text_len, sig, sig_len) != 0)
        goto out;
    printf("signed %s and %s.minisig\n", man_path, man_path);
    mlv_keys_print_manifest(o->dir, &m);
    printf("\nCheck it with: minisign -Vm %s -p %s\nthen install both files on the server.\n", man_path, org_path);
    rc = MLV_KEYS_EXIT_OK;
out:
    signed_text_free(&old);
    free(org_path);
    free(man_path);
    free(text);
    free(sig);
    return rc;
}

static int cmd_verify(int argc, char **argv, mlv_keys_opts *o)
{
    static const struct option options[] = {
        MLV_KEYS_OPT_DIR, MLV_KEYS_OPT_HELP,
        { "org-key", required_argument, NULL, 'k' },
        { NULL, 0, NULL, 0 },
    };
    const char *org_arg = NULL, *man_arg = NULL;
    char *org_path = NULL, *man_path = NULL;
    signed_text s = { 0 };
    mlv_org_public org;
    mlv_manifest m;
    mlv_man_status st;
    int c, rc = MLV_KEYS_EXIT_FAIL;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        int r = mlv_keys_common_option(c, optarg, o, VERIFY_USAGE);

        if (r < 0)
            return MLV_KEYS_EXIT_USAGE;
        if (r > 0)
            continue;
        if (c == 'h') {
            printf("usage: %s\n", VERIFY_USAGE);
            return MLV_KEYS_EXIT_OK;
        }
        if (c != 'k')
            return mlv_keys_bad_option(argv, VERIFY_USAGE);
        org_arg = optarg;
    }
    if (argc - optind > 1)
        return mlv_keys_usage(VERIFY_USAGE, "manifest verify takes at most one MANIFEST");
    if (optind < argc)
        man_arg = argv[optind];
    org_path = org_arg != NULL ? strdup(org_arg) : mlv_keys_path(o->dir, "org.pub");
    man_path = man_arg != NULL ? strdup(man_arg) : mlv_keys_path(o->dir, "manifest");
    if (org_path == NULL || man_path == NULL) {
        mlv_keys_fail("out of memory. Close other programs");
        goto out;
    }
    if (load_org_public(org_path, &org) != 0 || read_signed(man_path, &s) != 0)
        goto out;
    st = mlv_man_verify(s.text, s.text_len, s.sig, s.sig_len, &org, mlv_day_today(), 0, &m);
    if (st != MLV_MAN_OK) {
        mlv_keys_fail("manifest '%s' refused: %s", man_path, mlv_man_strerror(st));
        goto out;
    }
    printf("manifest %s: good signature by the organisation key in %s\n", man_path, org_path);
    mlv_keys_print_manifest(o->dir, &m);
    rc = MLV_KEYS_EXIT_OK;
out:
    signed_text_free(&s);
    free(org_path);
    free(man_path);
    return rc;
}

int mlv_keys_cmd_manifest(int argc, char **argv, mlv_keys_opts *o)
{
    if (argc >= 2 && strcmp(argv[1], "sign") == 0)
        return cmd_sign(argc - 1, argv + 1, o);
    if (argc >= 2 && strcmp(argv[1], "verify") == 0)
        return cmd_verify(argc - 1, argv + 1, o);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: %s\n", MANIFEST_USAGE);
        return MLV_KEYS_EXIT_OK;
    }
    return mlv_keys_usage(MANIFEST_USAGE, "manifest needs the subcommand sign or verify");
}
