/*
 * The inbox, one testimony, triage and cleaned previews: the desk's
 * reading and sorting, from the index (desk_index.h) and, for one
 * testimony, from the vault itself.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/imagemeta.h>
#include <malyava/manifest.h>

#include "cli.h"
#include "desk_index.h"
#include "desk_routes.h"
#include "triage.h"

#define DEFAULT_PAGE_ROWS 100u
/* Every key name an envelope can be sealed to, with commas. */
#define SEALED_TO_ALL_BYTES (MLV_MAX_RECIPIENTS * (MLV_MAX_EDITOR_NAME_BYTES + 1u) + 4u)

/* ---- the inbox ---------------------------------------------------------------- */

static int text_arg(const mlv_desk_req *r, const char *name, const char **out)
{
    const char *v = mlv_desk_arg(r, name);

    *out = v != NULL && v[0] != '\0' ? v : NULL;
    return *out == NULL || strlen(*out) <= MLV_DESK_MAX_QUERY_BYTES ? 0 : -1;
}

static int day_arg(const mlv_desk_req *r, const char *name, int64_t *out)
{
    const char *v = mlv_desk_arg(r, name);

    *out = -1;
    return v == NULL || v[0] == '\0' || mlv_day_parse(v, strlen(v), out) == 0 ? 0 : -1;
}

/* field=NAME=TEXT, as `list --field`; any number up to the filter's room. */
static int field_args(const mlv_desk_req *r, mlv_inbox_filter *f)
{
    for (size_t i = 0; i < r->nargs; i++) {
        const char *v = r->args[i].value, *eq;
        char name[MLV_MAX_FIELD_NAME_BYTES + 1u];
        size_t nl;

        if (strcmp(r->args[i].name, "field") != 0 || v == NULL || v[0] == '\0')
            continue;
        eq = strchr(v, '=');
        nl = eq != NULL ? (size_t)(eq - v) : 0;
        if (nl == 0 || nl > MLV_MAX_FIELD_NAME_BYTES || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_") != nl ||
            strlen(eq + 1) > MLV_DESK_MAX_QUERY_BYTES)
            return -1;
        memcpy(name, v, nl);
        name[nl] = '\0';
        if (mlv_inbox_filter_field(f, name, eq + 1) != 0)
            return -1;
    }
    return 0;
}

/* The query's filter; -1 when an argument is malformed. */
static int read_filter(const mlv_desk_req *r, mlv_inbox_filter *f)
{
    const char *q, *status;

    mlv_inbox_filter_init(f);
    if (text_arg(r, "q", &q) != 0 || text_arg(r, "status", &status) != 0 || text_arg(r, "tag", &f->tag) != 0 ||
        text_arg(r, "assignee", &f->assignee) != 0 || text_arg(r, "sealed_to", &f->sealed_to) != 0 ||
        day_arg(r, "since", &f->since) != 0 || day_arg(r, "until", &f->until) != 0 || field_args(r, f) != 0)
        return -1;
    if (status != NULL && (f->status = mlv_triage_status_name(status)) == NULL)
        return -1;
    if (q != NULL && mlv_inbox_filter_text(f, q) != 0)
        return -1;
    return 0;
}

static json_t *tags_of(const mlv_triage_state *s)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < s->ntags; i++)
        json_array_append_new(a, mlv_desk_text(s->tags[i]));
    return a;
}

static json_t *row_json(const mlv_desk_index *x, const mlv_inbox_item *it)
{
    const mlv_desk_entry *e = mlv_desk_index_get(x, it->id);
    const mlv_triage_state *s = it->state;

    return json_pack("{s:I, s:o, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:b, s:b, s:b}", "id",
                     (json_int_t)it->id, "received", mlv_desk_day(it->received_day), "status", s->status, "assignee",
                     mlv_desk_text(s->assignee), "tags", tags_of(s), "notes", (json_int_t)s->notes, "replies",
                     (json_int_t)s->replies, "files", (json_int_t)it->nfiles, "size", (json_int_t)it->size,
                     "sealed_to", it->sealed_to, "place",
                     mlv_desk_text(mlv_inbox_field(it->fields, it->nfields, "place")), "summary",
                     mlv_desk_text(it->message), "cut", e != NULL && e->summary_cut, "readable", it->readable,
                     "server_sealed", it->server_sealed);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every tag (which = 0) or assignee (1) in use, sorted, once each. */
static json_t *in_use(const mlv_desk_index *x, int which)
{
    size_t n = mlv_desk_index_count(x), count = 0, cap = 0;
    const char **names = NULL;
    json_t *out = json_array();

    for (size_t i = 0; i < n; i++) {
        const mlv_triage_state *s = mlv_desk_index_at(x, i)->item.state;
        size_t k = which == 0 ? s->ntags : s->assignee != NULL;

        for (size_t t = 0; t < k; t++) {
            if (count == cap) {
                const char **grown = realloc(names, (cap = cap * 2u + 64u) * sizeof *names);
                if (grown == NULL)
                    goto out;
                names = grown;
            }
            names[count++] = which == 0 ? s->tags[t] : s->assignee;
        }
    }
    if (count > 1)
        qsort(names, count, sizeof *names, cmp_str);
    for (size_t i = 0; i < count; i++) {
        if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
            json_array_append_new(out, mlv_desk_text(names[i]));
    }
out:
    free(names);
    return out;
}

void mlv_desk_api_inbox(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    const mlv_inbox_item **items = NULL;
    size_t n = 0, by_status[16];
    uint64_t offset, limit;
    mlv_inbox_sort sort = MLV_INBOX_SORT_ID;
    const char *sort_arg = mlv_desk_arg(r, "sort");
    mlv_inbox_filter f;
    json_t *rows, *counts, *body;

    _Static_assert(sizeof by_status / sizeof by_status[0] >= 6, "room for every status");
    if (read_filter(r, &f) != 0 || (sort_arg != NULL && sort_arg[0] != '\0' && mlv_inbox_sort_parse(sort_arg, &sort) != 0) ||
        mlv_desk_arg_count(r, "offset", UINT32_MAX, 0, &offset) != 0 ||
        mlv_desk_arg_count(r, "limit", MLV_DESK_MAX_PAGE_ROWS, DEFAULT_PAGE_ROWS, &limit) != 0) {
        mlv_inbox_filter_clear(&f);
        mlv_desk_reply_error(resp, 400, "bad-request", "a filter of the inbox is malformed");
        return;
    }
    if (mlv_desk_index_query(d->index, &f, sort, mlv_desk_arg(r, "reverse") != NULL, &items, &n, by_status) != 0) {
        mlv_inbox_filter_clear(&f);
        mlv_desk_reply_error(resp, 500, "no-memory", "out of memory");
        return;
    }
    rows = json_array();
    for (size_t i = (size_t)offset; i < n && i - (size_t)offset < limit; i++)
        json_array_append_new(rows, row_json(d->index, items[i]));
    counts = json_object();
    for (size_t i = 0; i < mlv_triage_nstatuses; i++)
        json_object_set_new(counts, mlv_triage_statuses[i], json_integer((json_int_t)by_status[i]));
    body = json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "total", (json_int_t)mlv_desk_index_count(d->index),
                     "matching", (json_int_t)n, "offset", (json_int_t)offset, "by_status", counts, "rows", rows,
                     "tags", in_use(d->index, 0), "assignees", in_use(d->index, 1));
    free(items);
    mlv_inbox_filter_clear(&f);
    mlv_desk_reply_json(resp, 200, body);
}

/* ---- one testimony ------------------------------------------------------------ */

static const char *meta_word(mlv_file_meta m)
{
    switch (m) {
    case MLV_FILE_META_STRIPPED: return "stripped";
    case MLV_FILE_META_KEPT: return "kept";
    case MLV_FILE_META_NONE: break;
    }
    return "none";
}

static int previewable(const mlv_file_info *f)
{
    return f->media_type != NULL && (strcmp(f->media_type, "image/jpeg") == 0 || strcmp(f->media_type, "image/png") == 0) &&
           f->length <= MLV_DESK_MAX_PREVIEW_BYTES;
}

static json_t *files_json(const mlv_metadata *m)
{
    json_t *a = json_array();

    for (size_t i = 0; i < m->nfiles; i++) {
        const mlv_file_info *f = &m->files[i];
        char hex[2u * MLV_FILE_DIGEST_BYTES + 1u];

        sodium_bin2hex(hex, sizeof hex, f->digest, sizeof f->digest);
        json_array_append_new(a, json_pack("{s:I, s:o, s:o, s:I, s:s, s:s, s:b}", "index", (json_int_t)i, "name",
                                           mlv_desk_text(f->name), "media_type", mlv_desk_text(f->media_type),
                                           "length", (json_int_t)f->length, "digest", hex, "meta",
                                           meta_word(f->meta), "preview", previewable(f)));
    }
    return a;
}

static json_t *fields_json(const mlv_metadata *m)
{
    json_t *a = json_array();

    for (size_t i = 0; i < m->nfields; i++)
        json_array_append_new(a, json_pack("{s:o, s:o}", "name", mlv_desk_text(m->fields[i].name), "value",
                                           mlv_desk_text(m->fields[i].value)));
    return a;
}

static int history_event(void *ctx, const mlv_triage_event *ev)
{
    json_array_append_new(ctx, json_pack("{s:o, s:o, s:s, s:o}", "day", mlv_desk_day(ev->day), "by",
                                         mlv_desk_text(ev->by), "kind", mlv_triage_kind_name(ev->kind), "value",
                                         mlv_desk_text(ev->value)));
    return 0;
}

static json_t *sealed_json(const mlv_vault *v, const mlv_vdb_env *e)
{
    char all[SEALED_TO_ALL_BYTES];
    json_t *a = json_array();

    mlv_inbox_sealed_to(v, e, all, sizeof all);
    for (char *p = all, *next; p != NULL && *p != '\0'; p = next) {
        next = strchr(p, ',');
        if (next != NULL)
            *next++ = '\0';
        json_array_append_new(a, mlv_desk_text(p));
    }
    return a;
}

void mlv_desk_api_testimony(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    const mlv_desk_entry *entry;
    mlv_vdb_env e;
    mlv_metadata m;
    mlv_env_status st;
    json_t *body, *history = json_array();
    int64_t id;

    memset(&e, 0, sizeof e);
    memset(&m, 0, sizeof m);
    if (mlv_desk_arg_id(r, "id", &id) != 0 || (entry = mlv_desk_index_get(d->index, id)) == NULL ||
        mlv_vdb_env_get(d->vault.db, id, &e) != MLV_VDB_OK) {
        json_decref(history);
        mlv_desk_reply_error(resp, 404, "not-found", "the vault has no such testimony");
        return;
    }
    st = mlv_vault_record(&d->vault, &e, &m);
    if (mlv_triage_each(&d->vault, id, history_event, history) != 0) {
        json_decref(history);
        mlv_meta_clear(&m);
        mlv_vdb_env_clear(&e);
        mlv_desk_reply_error(resp, 500, "damaged", "a triage event of this testimony does not open");
        return;
    }
    body = json_pack("{s:I, s:o, s:o, s:s, s:I, s:b, s:o, s:b, s:o, s:s, s:o, s:o, s:I, s:o}", "id", (json_int_t)id,
                     "received", mlv_desk_day(e.received_day), "imported", mlv_desk_day(e.imported_day), "receipt",
                     e.receipt, "size", (json_int_t)e.size, "server_sealed", e.server_sealed, "sealed_to",
                     sealed_json(&d->vault, &e), "readable", st == MLV_ENV_OK, "problem",
                     st == MLV_ENV_OK ? json_null() : json_string(mlv_env_strerror(st)), "status",
                     entry->item.state->status, "assignee", mlv_desk_text(entry->item.state->assignee), "tags",
                     tags_of(entry->item.state), "replies", (json_int_t)entry->item.state->replies, "history", history);
    if (st == MLV_ENV_OK) {
        json_object_set_new(body, "message", mlv_desk_text(m.message));
        json_object_set_new(body, "fields", fields_json(&m));
        json_object_set_new(body, "files", files_json(&m));
        json_object_set_new(body, "reply_possible", json_boolean(m.has_reply_key));
    }
    mlv_meta_clear(&m);
    mlv_vdb_env_clear(&e);
    mlv_desk_reply_json(resp, 200, body);
}

/* ---- triage ------------------------------------------------------------------ */

static const struct {
    const char *name;
    mlv_triage_kind kind;
} actions[] = {
    { "status", MLV_TRIAGE_STATUS }, { "tag", MLV_TRIAGE_TAG },      { "untag", MLV_TRIAGE_UNTAG },
    { "note", MLV_TRIAGE_NOTE },     { "assign", MLV_TRIAGE_ASSIGN },
};

/* All the testimonies or none, in one transaction, as `status 17-40`. */
void mlv_desk_api_triage(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    mlv_desk_form f;
    mlv_triage_kind kind = MLV_TRIAGE_STATUS;
    const char *value;
    size_t i;

    if (mlv_desk_read_form(r, resp, MLV_DESK_F_IDS | MLV_DESK_F_ACTION | MLV_DESK_F_VALUE,
                      MLV_DESK_F_IDS | MLV_DESK_F_ACTION | MLV_DESK_F_VALUE, &f) != 0)
        return;
    for (i = 0; i < sizeof actions / sizeof actions[0] && strcmp(actions[i].name, f.action) != 0; i++)
        ;
    value = f.value;
    if (i < sizeof actions / sizeof actions[0])
        kind = actions[i].kind;
    if (i == sizeof actions / sizeof actions[0] ||
        (kind == MLV_TRIAGE_STATUS && (value = mlv_triage_status_name(f.value)) == NULL) ||
        (kind != MLV_TRIAGE_ASSIGN && value[0] == '\0')) {
        mlv_desk_form_clear(&f);
        mlv_desk_reply_error(resp, 400, "bad-request", "no such change, or an empty value");
        return;
    }
    for (i = 0; i < f.nids; i++) {
        if (mlv_desk_index_get(d->index, f.ids[i]) == NULL) {
            mlv_desk_form_clear(&f);
            mlv_desk_reply_error(resp, 404, "not-found", "the vault has no such testimony; nothing was changed");
            return;
        }
    }
    if (mlv_vdb_begin(d->vault.db) != MLV_VDB_OK)
        goto failed;
    for (i = 0; i < f.nids; i++) {
        if (mlv_triage_add(&d->vault, f.ids[i], kind, value) != 0) {
            mlv_vdb_rollback(d->vault.db);
            goto failed;
        }
    }
    if (mlv_vdb_commit(d->vault.db) != MLV_VDB_OK) {
        mlv_vdb_rollback(d->vault.db);
        goto failed;
    }
    for (i = 0; i < f.nids; i++) {
        mlv_triage_event ev = { f.ids[i], mlv_day_today(), kind, value, d->vault.editor };
        mlv_desk_index_apply(d->index, &ev);
    }
    mlv_desk_reply_json(resp, 200, json_pack("{s:I}", "changed", (json_int_t)f.nids));
    mlv_desk_form_clear(&f);
    return;
failed:
    mlv_desk_form_clear(&f);
    mlv_desk_reply_error(resp, 500, "failed", mlv_vdb_reason(d->vault.db));
}

/* POST /api/delete {ids}: `malyava delete 1,2,...`, which refuses any
 * testimony that opens; then the index is built again without them. */
void mlv_desk_api_delete(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    char verb[] = "delete";
    char *argv[3] = { verb, NULL, NULL }, *list = NULL;
    mlv_desk_form f;
    json_t *body = NULL;
    size_t used = 0;

    if (mlv_desk_read_form(r, resp, MLV_DESK_F_IDS, MLV_DESK_F_IDS, &f) != 0)
        return;
    if ((list = malloc(f.nids * 21u + 1u)) == NULL) {
        mlv_desk_form_clear(&f);
        mlv_desk_reply_error(resp, 500, "no-memory", "out of memory");
        return;
    }
    list[0] = '\0';
    for (size_t i = 0; i < f.nids; i++)
        used += (size_t)snprintf(list + used, 22u, "%s%lld", i > 0 ? "," : "", (long long)f.ids[i]);
    argv[1] = list;
    body = mlv_desk_verb_json(d, argv, resp);
    free(list);
    mlv_desk_form_clear(&f);
    if (body == NULL)
        return;
    if (json_integer_value(json_object_get(body, "status")) == 0 && mlv_desk_open_index(d) != 0) {
        json_decref(body);
        mlv_desk_reply_error(resp, 500, "failed", "deleted, but the desk could not read the vault again");
        return;
    }
    mlv_desk_reply_json(resp, 200, body);
}

/* ---- cleaned previews ---------------------------------------------------------- */

typedef struct grab {
    size_t want;
    int fd;
    int failed;
    size_t written;
} grab;

static int grab_data(void *ctx, size_t index, const uint8_t *buf, size_t len)
{
    grab *g = ctx;

    if (index == g->want && (g->written += len) > MLV_DESK_MAX_PREVIEW_BYTES)
        g->failed = 1;
    if (index == g->want && !g->failed) {
        while (len > 0) {
            ssize_t n = write(g->fd, buf, len);
            if (n <= 0) {
                g->failed = 1;
                break;
            }
            buf += n;
            len -= (size_t)n;
        }
    }
    return 0;
}

/* A JPEG or PNG attachment, only once the whole envelope authenticated,
 * with its metadata stripped, in memory. Served as an image of the kind
 * its bytes are (never the type the source declared), never sniffed. */
void mlv_desk_api_preview(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    static const mlv_pay_callbacks cb = { NULL, grab_data, NULL };
    grab g = { 0, -1, 0, 0 };
    int out = -1;
    uint64_t file;
    int64_t id;
    mlv_vdb_env e;
    mlv_img_report rep;
    uint8_t head[MLV_IMG_SNIFF_BYTES];
    mlv_img_kind kind = MLV_IMG_UNKNOWN;
    off_t size;

    memset(&e, 0, sizeof e);
    if (mlv_desk_arg_id(r, "id", &id) != 0 || mlv_desk_arg_count(r, "file", MLV_MAX_FILES, MLV_MAX_FILES, &file) != 0 ||
        file >= MLV_MAX_FILES || mlv_vdb_env_get(d->vault.db, id, &e) != MLV_VDB_OK) {
        mlv_desk_reply_error(resp, 404, "not-found", "no such testimony or file");
        return;
    }
    g.want = (size_t)file;
    g.fd = memfd_create("malyava-desk-preview", MFD_CLOEXEC);
    out = memfd_create("malyava-desk-clean", MFD_CLOEXEC);
    if (g.fd < 0 || out < 0 || mlv_vault_read(&d->vault, &e, &cb, &g, 0, NULL) != MLV_ENV_OK || g.failed ||
        lseek(g.fd, 0, SEEK_END) > (off_t)MLV_DESK_MAX_PREVIEW_BYTES || pread(g.fd, head, sizeof head, 0) < 1) {
        mlv_desk_reply_error(resp, 404, "no-preview", "the file does not open, or is too large to preview");
        goto out;
    }
    /* Judged by its bytes: whatever the source said the file was. */
    kind = mlv_img_sniff(head, sizeof head);
    if ((kind != MLV_IMG_JPEG && kind != MLV_IMG_PNG) || lseek(g.fd, 0, SEEK_SET) != 0 ||
        mlv_img_strip_fd(g.fd, out, &rep) != MLV_IMG_OK || (size = lseek(out, 0, SEEK_END)) <= 0 ||
        (resp->body = malloc((size_t)size)) == NULL || pread(out, resp->body, (size_t)size, 0) != size) {
        free(resp->body);
        resp->body = NULL;
        mlv_desk_reply_error(resp, 415, "no-preview", "only sound JPEG and PNG photos have a cleaned preview");
        goto out;
    }
    resp->status = 200;
    resp->len = (size_t)size;
    resp->type = kind == MLV_IMG_JPEG ? "image/jpeg" : "image/png";
    resp->disposition = kind == MLV_IMG_JPEG ? "inline; filename=\"preview.jpg\"" : "inline; filename=\"preview.png\"";
    resp->csp = "default-src 'none'; frame-ancestors 'none'; sandbox";
out:
    mlv_desk_memfd_drop(g.fd);
    mlv_desk_memfd_drop(out);
    mlv_vdb_env_clear(&e);
}
