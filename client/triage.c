/* See triage.h. */
#include "triage.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include <malyava/manifest.h>

#include "cli.h"

const char *const mlv_triage_statuses[] = { "new", "in-review", "verified", "rejected", "published", "follow-up" };
const size_t mlv_triage_nstatuses = sizeof mlv_triage_statuses / sizeof mlv_triage_statuses[0];

static const char *const kind_names[] = { "status", "tag", "untag", "note", "assign", "reply", "delete" };

const char *mlv_triage_kind_name(mlv_triage_kind kind)
{
    return (size_t)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "?";
}

const char *mlv_triage_status_name(const char *s)
{
    for (size_t i = 0; i < mlv_triage_nstatuses; i++) {
        if (strcmp(s, mlv_triage_statuses[i]) == 0)
            return mlv_triage_statuses[i];
    }
    return NULL;
}

static int kind_from_name(const char *name, mlv_triage_kind *out)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (mlv_triage_kind)i;
            return 0;
        }
    }
    return -1;
}

/* The envelope id is sealed with the event, so an event cannot be moved
 * to another testimony by someone who can write the file but not read it. */
int mlv_triage_add(const mlv_vault *v, int64_t envelope, mlv_triage_kind kind, const char *value)
{
    json_t *ev = json_pack("{sIssssss}", "e", (json_int_t)envelope, "k", mlv_triage_kind_name(kind), "v",
                           value != NULL ? value : "", "by", v->editor != NULL ? v->editor : "");
    char *text = NULL;
    uint8_t *box = NULL;
    size_t box_len = 0;
    int ret = -1;

    if (ev == NULL || strlen(value != NULL ? value : "") > MLV_TRIAGE_MAX_VALUE_BYTES) {
        mlv_cli_error("a triage value must be valid UTF-8 of at most %u bytes", MLV_TRIAGE_MAX_VALUE_BYTES);
        goto out;
    }
    text = json_dumps(ev, JSON_COMPACT);
    if (text == NULL || mlv_vault_seal(v, MLV_VAULT_EVENTS, (const uint8_t *)text, strlen(text), &box, &box_len) != 0)
        goto out;
    if (mlv_vdb_event_add(v->db, envelope, mlv_day_today(), box, box_len) != MLV_VDB_OK) {
        mlv_cli_error("cannot store the change: %s", mlv_vdb_reason(v->db));
        goto out;
    }
    ret = 0;
out:
    if (text != NULL)
        sodium_memzero(text, strlen(text));
    free(text);
    free(box);
    json_decref(ev);
    return ret;
}

typedef struct each_ctx {
    const mlv_vault *v;
    int (*fn)(void *ctx, const mlv_triage_event *ev);
    void *ctx;
    int failed;
} each_ctx;

static int open_event(void *ctx, const mlv_vdb_event *row)
{
    each_ctx *c = ctx;
    uint8_t *plain = NULL;
    size_t len = 0;
    json_t *ev = NULL;
    json_int_t env = 0;
    const char *kind = NULL, *value = NULL, *by = NULL;
    mlv_triage_event out;
    int stop = 1;

    if (row->box_len < 40u || (plain = malloc(row->box_len)) == NULL)
        goto damaged;
    if (mlv_vault_unseal(c->v, MLV_VAULT_EVENTS, row->box, row->box_len, plain, &len) != 0)
        goto damaged;
    ev = json_loadb((const char *)plain, len, JSON_REJECT_DUPLICATES, NULL);
    if (ev == NULL || json_unpack(ev, "{sIssssss}", "e", &env, "k", &kind, "v", &value, "by", &by) != 0 ||
        env != row->envelope || kind_from_name(kind, &out.kind) != 0)
        goto damaged;
    out.envelope = row->envelope;
    out.day = row->day;
    out.value = value;
    out.by = by;
    stop = c->fn(c->ctx, &out);
    goto out;
damaged:
    mlv_cli_error("triage event %lld of testimony %lld does not open: the vault was changed or damaged",
                  (long long)row->id, (long long)row->envelope);
    c->failed = 1;
out:
    json_decref(ev);
    if (plain != NULL)
        sodium_memzero(plain, row->box_len);
    free(plain);
    return stop;
}

int mlv_triage_each(const mlv_vault *v, int64_t envelope, int (*fn)(void *ctx, const mlv_triage_event *ev), void *ctx)
{
    each_ctx c = { v, fn, ctx, 0 };

    if (mlv_vdb_event_each(v->db, envelope, open_event, &c) != MLV_VDB_OK) {
        mlv_cli_error("cannot read triage events: %s", mlv_vdb_reason(v->db));
        return -1;
    }
    return c.failed ? -1 : 0;
}

/* Notes, tags and names of editors are sealed in the vault: their
 * plaintext copies go as they came. */
static void wipe_free(char *s)
{
    if (s != NULL)
        sodium_memzero(s, strlen(s));
    free(s);
}

void mlv_triage_apply(mlv_triage_state *s, const mlv_triage_event *ev)
{
    size_t i;

    switch (ev->kind) {
    case MLV_TRIAGE_STATUS:
        if (mlv_triage_status_name(ev->value) != NULL)
            s->status = mlv_triage_status_name(ev->value);
        break;
    case MLV_TRIAGE_ASSIGN:
        wipe_free(s->assignee);
        s->assignee = ev->value[0] != '\0' ? strdup(ev->value) : NULL;
        break;
    case MLV_TRIAGE_TAG:
        for (i = 0; i < s->ntags && strcmp(s->tags[i], ev->value) != 0; i++)
            ;
        if (i == s->ntags && s->ntags < MLV_TRIAGE_MAX_TAGS && (s->tags[s->ntags] = strdup(ev->value)) != NULL)
            s->ntags++;
        break;
    case MLV_TRIAGE_UNTAG:
        for (i = 0; i < s->ntags; i++) {
            if (strcmp(s->tags[i], ev->value) == 0) {
                wipe_free(s->tags[i]);
                s->tags[i] = s->tags[--s->ntags];
                break;
            }
        }
        break;
    case MLV_TRIAGE_NOTE: {
        size_t have = s->text != NULL ? strlen(s->text) : 0, add = strlen(ev->value);
        char *grown = realloc(s->text, have + add + 2u);

        if (grown != NULL) {
            memcpy(grown + have, ev->value, add);
            grown[have + add] = '\n';
            grown[have + add + 1] = '\0';
            s->text = grown;
        }
        s->notes++;
        break;
    }
    case MLV_TRIAGE_REPLY:
        s->replies++;
        break;
    case MLV_TRIAGE_DELETE:
        break;
    }
}

void mlv_triage_state_clear(mlv_triage_state *s)
{
    wipe_free(s->text);
    wipe_free(s->assignee);
    for (size_t i = 0; i < s->ntags; i++)
        wipe_free(s->tags[i]);
    memset(s, 0, sizeof *s);
}

typedef struct states_ctx {
    mlv_triage_state *states;
    int64_t max_id;
} states_ctx;

static int apply_one(void *ctx, const mlv_triage_event *ev)
{
    states_ctx *c = ctx;

    if (ev->envelope >= 1 && ev->envelope <= c->max_id)
        mlv_triage_apply(&c->states[ev->envelope - 1], ev);
    return 0;
}

int mlv_triage_states(const mlv_vault *v, int64_t max_id, mlv_triage_state **out)
{
    states_ctx c = { calloc(max_id > 0 ? (size_t)max_id : 1u, sizeof *c.states), max_id };

    *out = NULL;
    if (c.states == NULL) {
        mlv_cli_error("out of memory");
        return -1;
    }
    for (int64_t i = 0; i < max_id; i++)
        c.states[i].status = mlv_triage_statuses[0];
    if (mlv_triage_each(v, 0, apply_one, &c) != 0) {
        for (int64_t i = 0; i < max_id; i++)
            mlv_triage_state_clear(&c.states[i]);
        free(c.states);
        return -1;
    }
    *out = c.states;
    return 0;
}
