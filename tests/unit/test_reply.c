/*
 * Replies with a proof of origin (lib/reply.c, docs/FORMAT.md §4.5): what
 * a source's tool must show, and everything it must refuse — above all
 * what whoever holds the server can make, since the reply key is public.
 */
#include <string.h>

#include <sodium.h>

#include <malyava/reply.h>

#include "check.h"
#include "support.h"

enum { EDITOR = 0, OTHER_EDITOR = 1, SOURCE = 4, OTHER_SOURCE = 5, FORGER = 9 };

typedef struct seen {
    char message[256];
    int calls;
} seen;

static int on_meta(void *ctx, const mlv_metadata *m)
{
    seen *s = ctx;

    s->calls++;
    snprintf(s->message, sizeof s->message, "%s", m->message != NULL ? m->message : "");
    return 0;
}

static const mlv_pay_callbacks callbacks = { on_meta, NULL, NULL };

/* A manifest of editor keys 0 and 1 (sorted by id, as a real one is). */
static void make_manifest(mlv_manifest *m, int with_editor)
{
    memset(m, 0, sizeof *m);
    m->serial = 1;
    if (with_editor)
        test_editor_public(EDITOR, &m->keys[m->nkeys++]);
    test_editor_public(OTHER_EDITOR, &m->keys[m->nkeys++]);
    if (m->nkeys == 2 && memcmp(m->keys[0].id, m->keys[1].id, MLV_KEY_ID_BYTES) > 0) {
        mlv_box_public t = m->keys[0];
        m->keys[0] = m->keys[1];
        m->keys[1] = t;
    }
}

static mlv_reply_status seal(const mlv_box_keypair *from, unsigned to, const char *text, uint8_t **out, size_t *len)
{
    mlv_metadata meta;

    memset(&meta, 0, sizeof meta);
    meta.message = (char *)text;
    return mlv_reply_seal(from, test_editor(to)->pk, &meta, out, len);
}

static mlv_reply_status open_as(unsigned source, const uint8_t *r, size_t len, const mlv_manifest *m, seen *s,
                                mlv_reply_result *res)
{
    memset(s, 0, sizeof *s);
    return mlv_reply_open(r, len, test_editor(source), m, &callbacks, s, res);
}

static void test_genuine(void)
{
    mlv_manifest m;
    mlv_reply_result res;
    uint8_t *r = NULL, id[MLV_KEY_ID_BYTES];
    size_t len = 0;
    seen s;

    make_manifest(&m, 1);
    CHECK(seal(test_editor(EDITOR), SOURCE, "Мы получили. Received.", &r, &len) == MLV_REPLY_OK);
    CHECK(memcmp(r, "MLVREPLY\x02", 9) == 0);
    CHECK(mlv_reply_check_shape(r, len, id) == MLV_REPLY_OK);
    CHECK(memcmp(id, test_editor(SOURCE)->id, sizeof id) == 0);
    CHECK(open_as(SOURCE, r, len, &m, &s, &res) == MLV_REPLY_OK);
    CHECK(strcmp(s.message, "Мы получили. Received.") == 0 && s.calls == 1);
    CHECK(res.editor_index >= 0 && memcmp(m.keys[res.editor_index].id, test_editor(EDITOR)->id, 8) == 0);
    CHECK(memcmp(res.editor_id, test_editor(EDITOR)->id, 8) == 0);
    /* Replayed to another source: it neither opens nor shows. */
    CHECK(open_as(OTHER_SOURCE, r, len, &m, &s, &res) == MLV_REPLY_ERR_NOT_FOR_ME && s.calls == 0);
    /* After the editor's key left the manifest (rotation): not shown. */
    make_manifest(&m, 0);
    CHECK(open_as(SOURCE, r, len, &m, &s, &res) == MLV_REPLY_ERR_UNLISTED && s.calls == 0);
    make_manifest(&m, 1);
    /* Every byte flipped is refused, and nothing reaches the callbacks. */
    for (size_t i = 0; i < len; i++) {
        mlv_reply_status st;

        r[i] ^= 0x01;
        st = open_as(SOURCE, r, len, &m, &s, &res);
        r[i] ^= 0x01;
        if (st == MLV_REPLY_OK || (st != MLV_REPLY_ERR_ENVELOPE && s.calls != 0)) {
            fprintf(stderr, "byte %zu flipped: %s\n", i, mlv_reply_strerror(st));
            CHECK(!"a changed byte is refused before anything is shown");
            break;
        }
    }
    CHECK(open_as(SOURCE, r, len - 1, &m, &s, &res) != MLV_REPLY_OK);
    free(r);
}

/* What whoever holds the server database can write into it. */
static void test_forgeries(void)
{
    mlv_manifest m;
    mlv_reply_result res;
    mlv_box_keypair *pose = sodium_malloc(sizeof *pose);
    uint8_t *r = NULL, *g = NULL, *mixed, id[MLV_KEY_ID_BYTES];
    size_t len = 0, glen = 0;
    test_buf bare = { 0 };
    mlv_metadata meta;
    uint8_t receipt[MLV_RECEIPT_BYTES];
    seen s;

    make_manifest(&m, 1);
    /* (a) A bare envelope sealed to the public reply key: the old format. */
    memset(&meta, 0, sizeof meta);
    meta.message = "Reply with your full name and cell number.";
    {
        mlv_box_public to;
        mlv_pay_sealer *ps = NULL;

        test_editor_public(SOURCE, &to);
        CHECK(mlv_pay_seal_new(&ps, &to, 1, 0, &meta, test_buf_write, &bare) == MLV_ENV_OK);
        CHECK(mlv_pay_seal_finish(ps, receipt) == MLV_ENV_OK);
        mlv_pay_seal_free(ps);
    }
    CHECK(mlv_reply_check_shape(bare.data, bare.len, id) == MLV_REPLY_ERR_UNPROVEN);
    CHECK(open_as(SOURCE, bare.data, bare.len, &m, &s, &res) == MLV_REPLY_ERR_UNPROVEN && s.calls == 0);
    /* (b) A whole reply with a proof from the forger's own key. */
    CHECK(seal(test_editor(FORGER), SOURCE, meta.message, &r, &len) == MLV_REPLY_OK);
    CHECK(open_as(SOURCE, r, len, &m, &s, &res) == MLV_REPLY_ERR_UNLISTED && s.calls == 0);
    free(r);
    /* (c) The same, naming a listed editor's key id. */
    memcpy(pose, test_editor(FORGER), sizeof *pose);
    memcpy(pose->id, test_editor(EDITOR)->id, sizeof pose->id);
    CHECK(seal(pose, SOURCE, meta.message, &r, &len) == MLV_REPLY_OK);
    CHECK(open_as(SOURCE, r, len, &m, &s, &res) == MLV_REPLY_ERR_FORGED && s.calls == 0);
    free(r);
    /* (d) A genuine proof in front of another envelope to the same source. */
    CHECK(seal(test_editor(EDITOR), SOURCE, "genuine", &g, &glen) == MLV_REPLY_OK);
    mixed = malloc(MLV_REPLY_PREFIX_BYTES + bare.len);
    memcpy(mixed, g, MLV_REPLY_PREFIX_BYTES);
    memcpy(mixed + MLV_REPLY_PREFIX_BYTES, bare.data, bare.len);
    CHECK(open_as(SOURCE, mixed, MLV_REPLY_PREFIX_BYTES + bare.len, &m, &s, &res) == MLV_REPLY_ERR_FORGED &&
          s.calls == 0);
    /* (e) Another version byte, a cut prefix, trailing bytes. */
    g[8] = 3;
    CHECK(mlv_reply_check_shape(g, glen, id) == MLV_REPLY_ERR_VERSION);
    g[8] = 2;
    CHECK(mlv_reply_check_shape(g, MLV_REPLY_PREFIX_BYTES, id) == MLV_REPLY_ERR_MALFORMED);
    CHECK(mlv_reply_check_shape(g, 40, id) == MLV_REPLY_ERR_MALFORMED);
    memcpy(mixed, g, glen - 1);
    CHECK(mlv_reply_check_shape(mixed, glen - 1, id) == MLV_REPLY_ERR_MALFORMED);
    free(mixed);
    free(g);
    test_buf_free(&bare);
    sodium_free(pose);
}

static void test_limits(void)
{
    mlv_metadata meta;
    mlv_file_info f;
    uint8_t *r = NULL;
    size_t len = 0;
    char *big = malloc(MLV_REPLY_MAX_BYTES + 1);

    memset(big, 'a', MLV_REPLY_MAX_BYTES);
    big[MLV_REPLY_MAX_BYTES] = '\0';
    memset(&meta, 0, sizeof meta);
    meta.message = big;
    CHECK(mlv_reply_seal(test_editor(EDITOR), test_editor(SOURCE)->pk, &meta, &r, &len) == MLV_REPLY_ERR_LIMIT);
    CHECK(r == NULL);
    /* Replies carry text only. */
    memset(&f, 0, sizeof f);
    f.name = "a.txt";
    meta.message = "x";
    meta.files = &f;
    meta.nfiles = 1;
    CHECK(mlv_reply_seal(test_editor(EDITOR), test_editor(SOURCE)->pk, &meta, &r, &len) == MLV_REPLY_ERR_USAGE);
    free(big);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_genuine();
    test_forgeries();
    test_limits();
    return check_exit();
}
