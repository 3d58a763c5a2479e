/*
 * Reading the vault: `list`, `search`, `show`, `history`, `report`.
 *
 * Everything shown is decrypted on the fly from the sealed envelopes and
 * events, in memory, and written to the terminal through termsafe, which
 * drops escape sequences a hostile testimony could use to rewrite the
 * screen. Only the metadata record of each envelope is decrypted for
 * lists and searches (with the file key the vault kept), not its files.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/keyid.h>
#include <malyava/manifest.h>
#include <malyava/termsafe.h>

#include "cli.h"
#include "commands.h"
#include "triage.h"
#include "vault.h"

#define MAX_FIELD_FILTERS 8u
#define SUMMARY_BYTES 60u
#define KEYS_COLUMN_BYTES 24u

/* One testimony as the tables show it. */
typedef struct row {
    int64_t id;
    int64_t received_day;
    uint64_t size;
    int server_sealed;
    int readable;              /* a vault key opens it */
    mlv_metadata meta;
    char sealed_to[KEYS_COLUMN_BYTES];
    mlv_triage_state *state;   /* into the states array */
} row;

typedef struct filters {
    const char *status, *tag, *assignee, *sealed_to, *text;
    mlv_field fields[MAX_FIELD_FILTERS];
    size_t nfields;
    int64_t since, until;
} filters;

typedef struct gather {
    const mlv_vault *v;
    const filters *f;
    mlv_triage_state *states;
    int64_t nstates;
    row *rows;
    size_t nrows, cap, total;
    int failed;
} gather;

/* ---- case-insensitive matching for Latin and Cyrillic ------------------- */

static uint32_t fold(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32u;
    if (c >= 0x410 && c <= 0x42F) /* А..Я */
        return c + 32u;
    if (c >= 0x400 && c <= 0x40F) /* Ѐ..Џ, Ё, Є, І, Ї */
        return c + 80u;
    if (c == 0x490) /* Ґ */
        return 0x491;
    return c;
}

/* A folded copy of UTF-8 text; invalid bytes are kept as they are. */
static char *folded(const char *s)
{
    size_t len = strlen(s), o = 0;
    char *out = malloc(len + 1u);

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            out[o++] = (char)fold(b);
            i++;
        } else if ((b & 0xE0) == 0xC0 && i + 1 < len && ((unsigned char)s[i + 1] & 0xC0) == 0x80) {
            uint32_t c = fold(((uint32_t)(b & 0x1F) << 6) | ((unsigned char)s[i + 1] & 0x3F));
            out[o++] = (char)(0xC0 | (c >> 6));
            out[o++] = (char)(0x80 | (c & 0x3F));
            i += 2;
        } else {
            out[o++] = s[i++];
        }
    }
    out[o] = '\0';
    return out;
}

static int contains(const char *hay, const char *needle_folded)
{
    char *h;
    int found;

    if (hay == NULL)
        return 0;
    if ((h = folded(hay)) == NULL)
        return 0;
    found = strstr(h, needle_folded) != NULL;
    sodium_memzero(h, strlen(h));
    free(h);
    return found;
}

static const char *field_value(const mlv_metadata *m, const char *name)
{
    for (size_t i = 0; i < m->nfields; i++) {
        if (strcmp(m->fields[i].name, name) == 0)
            return m->fields[i].value;
    }
    return NULL;
}

/* ---- gathering ------------------------------------------------------------ */

static void sealed_to(const mlv_vault *v, const mlv_vdb_env *e, char *out, size_t size)
{
    mlv_env_header h;
    size_t used = 0;

    out[0] = '\0';
    if (mlv_env_header_parse(e->header, e->header_len, &h) != MLV_ENV_OK) {
        snprintf(out, size, "?");
        return;
    }
    for (uint32_t i = 0; i < h.nrecipients && used + 1 < size; i++) {
        const char *name = NULL;
        char hex[MLV_KEY_ID_STR_BYTES];

        for (size_t k = 0; k < v->nrows && name == NULL; k++) {
            if (memcmp(v->rows[k].id, h.key_ids[i], MLV_KEY_ID_BYTES) == 0)
                name = v->rows[k].name;
        }
        if (name == NULL) {
            mlv_keyid_to_hex(hex, h.key_ids[i]);
            hex[8] = '\0';
            name = hex;
        }
        used += (size_t)snprintf(out + used, size - used, "%s%s", i > 0 ? "," : "", name);
    }
    if (used >= size - 1)
        memcpy(out + size - 4, "...", 4);
}

static int matches_text(const row *r, const char *needle)
{
    const mlv_triage_state *s = r->state;

    if (contains(r->meta.message, needle))
        return 1;
    for (size_t i = 0; i < r->meta.nfields; i++) {
        if (contains(r->meta.fields[i].value, needle))
            return 1;
    }
    for (size_t i = 0; i < r->meta.nfiles; i++) {
        if (contains(r->meta.files[i].name, needle))
            return 1;
    }
    for (size_t i = 0; s != NULL && i < s->ntags; i++) {
        if (contains(s->tags[i], needle))
            return 1;
    }
    return s != NULL && contains(s->text, needle);
}

static int keep(const gather *g, const row *r)
{
    const filters *f = g->f;
    const mlv_triage_state *s = r->state;

    if ((f->since >= 0 && r->received_day < f->since) || (f->until >= 0 && r->received_day > f->until))
        return 0;
    if (f->status != NULL && strcmp(s->status, f->status) != 0)
        return 0;
    if (f->assignee != NULL && (strcmp(f->assignee, "none") == 0 ? s->assignee != NULL
                                                                 : s->assignee == NULL ||
                                                                       strcmp(s->assignee, f->assignee) != 0))
        return 0;
    if (f->tag != NULL) {
        size_t i;
        for (i = 0; i < s->ntags && strcmp(s->tags[i], f->tag) != 0; i++)
            ;
        if (i == s->ntags)
            return 0;
    }
    if (f->sealed_to != NULL) {
        char list[KEYS_COLUMN_BYTES + 2];
        snprintf(list, sizeof list, ",%s,", r->sealed_to);
        char want[MLV_MAX_EDITOR_NAME_BYTES + 3];
        snprintf(want, sizeof want, ",%s,", f->sealed_to);
        if (strstr(list, want) == NULL)
            return 0;
    }
    for (size_t i = 0; i < f->nfields; i++) {
        if (!contains(field_value(&r->meta, f->fields[i].name), f->fields[i].value))
            return 0;
    }
    return f->text == NULL || matches_text(r, f->text);
}

static void row_clear(row *r)
{
    mlv_meta_clear(&r->meta);
}

/* Decides on the record as the opener lends it; only a kept one is copied. */
typedef struct judge_ctx {
    gather *g;
    row *r;
    int kept;
} judge_ctx;

static int judge_record(void *ctx, const mlv_metadata *meta)
{
    judge_ctx *j = ctx;

    j->r->meta = *meta;
    j->r->readable = 1;
    j->kept = keep(j->g, j->r);
    memset(&j->r->meta, 0, sizeof j->r->meta);
    if (j->kept && mlv_cli_meta_copy(meta, &j->r->meta) != 0)
        return -1;
    return 0;
}

static int gather_one(void *ctx, const mlv_vdb_env *e)
{
    static const mlv_pay_callbacks cb = { judge_record, NULL, NULL };
    gather *g = ctx;
    row r;
    judge_ctx j = { g, &r, 0 };
    mlv_env_status st;

    memset(&r, 0, sizeof r);
    r.id = e->id;
    r.received_day = e->received_day;
    r.size = e->size;
    r.server_sealed = e->server_sealed;
    r.state = e->id >= 1 && e->id <= g->nstates ? &g->states[e->id - 1] : NULL;
    if (r.state == NULL)
        return 0;
    sealed_to(g->v, e, r.sealed_to, sizeof r.sealed_to);
    g->total++;
    st = mlv_vault_read(g->v, e, &cb, &j, 1, NULL);
    if (st != MLV_ENV_OK) {
        if (st != MLV_ENV_ERR_NOT_FOR_ME)
            fprintf(stderr, "malyava: testimony %lld does not open: %s\n", (long long)e->id, mlv_env_strerror(st));
        /* Unreadable ones are listed (so nothing hides) unless a filter
         * needs their contents. */
        r.readable = 0;
        row_clear(&r);
        j.kept = g->f->text == NULL && g->f->nfields == 0 && keep(g, &r);
    }
    if (!j.kept) {
        row_clear(&r);
        return 0;
    }
    if (g->nrows == g->cap) {
        size_t cap = g->cap * 2u + 64u;
        row *grown = realloc(g->rows, cap * sizeof *grown);
        if (grown == NULL) {
            row_clear(&r);
            g->failed = 1;
            return 1;
        }
        g->rows = grown;
        g->cap = cap;
    }
    g->rows[g->nrows++] = r;
    return 0;
}

static int gather_rows(const mlv_vault *v, const filters *f, gather *g)
{
    memset(g, 0, sizeof *g);
    g->v = v;
    g->f = f;
    g->nstates = mlv_vdb_env_max_id(v->db);
    if (g->nstates < 0 || mlv_triage_states(v, g->nstates, &g->states) != 0)
        return -1;
    if (mlv_vdb_env_each(v->db, gather_one, g) != MLV_VDB_OK || g->failed) {
        mlv_cli_error("cannot read the vault: %s", mlv_vdb_reason(v->db));
        return -1;
    }
    return 0;
}

static void gather_free(gather *g)
{
    for (size_t i = 0; i < g->nrows; i++)
        row_clear(&g->rows[i]);
    free(g->rows);
    for (int64_t i = 0; i < g->nstates; i++)
        mlv_triage_state_clear(&g->states[i]);
    free(g->states);
}

/* ---- printing ------------------------------------------------------------- */

/* Characters, not bytes, for lining up columns of UTF-8 text. */
static size_t utf8_chars(const char *s, size_t max_bytes)
{
    size_t n = 0;

    for (size_t i = 0; s[i] != '\0' && i < max_bytes; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* At most `max` bytes of `text` on one line, cut at a character boundary. */
static void print_cut(const char *text, size_t max)
{
    size_t len = text != NULL ? strlen(text) : 0;

    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    if (len > 0)
        mlv_termsafe_write(stdout, text, len, 0);
    if (text != NULL && len < strlen(text))
        fputs("...", stdout);
}

static void print_size(uint64_t n)
{
    if (n < 10000u)
        printf("%7llu B", (unsigned long long)n);
    else if (n < 10000u * 1024u)
        printf("%6llu KB", (unsigned long long)(n / 1024u));
    else
        printf("%6llu MB", (unsigned long long)(n / (1024u * 1024u)));
}

static void print_row(const row *r)
{
    char day[11];
    const char *place = field_value(&r->meta, "place");

    mlv_day_format(day, r->received_day);
    const char *who = r->state->assignee != NULL ? r->state->assignee : "-";
    size_t width = utf8_chars(who, 10);

    printf("%5lld  %s  %-10s ", (long long)r->id, day, r->state->status);
    print_cut(who, 10);
    printf("%*s %3zu ", (int)(width < 10 ? 10 - width : 0), "", r->meta.nfiles);
    print_size(r->size);
    printf("  %-16s ", r->sealed_to);
    if (!r->readable) {
        printf("(no key of this vault opens it)\n");
        return;
    }
    if (place != NULL) {
        putchar('[');
        print_cut(place, 20);
        fputs("] ", stdout);
    }
    print_cut(r->meta.message != NULL ? r->meta.message : "", SUMMARY_BYTES);
    putchar('\n');
}

typedef enum sort_key { SORT_ID, SORT_RECEIVED, SORT_STATUS, SORT_PLACE, SORT_SIZE } sort_key;
static sort_key sort_by;
static int sort_reverse;

static int status_rank(const char *s)
{
    for (size_t i = 0; i < mlv_triage_nstatuses; i++) {
        if (strcmp(s, mlv_triage_statuses[i]) == 0)
            return (int)i;
    }
    return (int)mlv_triage_nstatuses;
}

static int cmp_rows(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    int c = 0;

    switch (sort_by) {
    case SORT_RECEIVED: c = (a->received_day > b->received_day) - (a->received_day < b->received_day); break;
    case SORT_STATUS: c = status_rank(a->state->status) - status_rank(b->state->status); break;
    case SORT_SIZE: c = (a->size > b->size) - (a->size < b->size); break;
    case SORT_PLACE: {
        const char *pa_ = field_value(&a->meta, "place"), *pb_ = field_value(&b->meta, "place");
        c = strcmp(pa_ != NULL ? pa_ : "\x7f", pb_ != NULL ? pb_ : "\x7f");
        break;
    }
    case SORT_ID: break;
    }
    if (c == 0)
        c = (a->id > b->id) - (a->id < b->id);
    return sort_reverse ? -c : c;
}

static int parse_sort(const char *s)
{
    static const char *const names[] = { "id", "received", "status", "place", "size" };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i]) == 0) {
            sort_by = (sort_key)i;
            return 0;
        }
    }
    mlv_cli_error("--sort takes id, received, status, place or size");
    return -1;
}

/* ---- list and search -------------------------------------------------------- */

static void list_usage(FILE *out, const char *cmd)
{
    fprintf(out,
            "usage: malyava %s [--vault V] [--key NAME] [--passphrase-file F]%s\n"
            "         [--status S] [--tag T] [--assignee NAME|none] [--since YYYY-MM-DD] [--until YYYY-MM-DD]\n"
            "         [--field NAME=TEXT]... [--sealed-to KEYNAME] [--sort id|received|status|place|size]\n"
            "         [--reverse] [--limit N]\n",
            cmd, strcmp(cmd, "search") == 0 ? " TEXT" : "");
}

static int parse_day(const char *s, int64_t *out, const char *opt)
{
    if (mlv_day_parse(s, strlen(s), out) != 0) {
        mlv_cli_error("%s takes a date as YYYY-MM-DD, e.g. 2026-03-01", opt);
        return -1;
    }
    return 0;
}

static int list_or_search(int argc, char **argv, int search)
{
    static const struct option options[] = {
        MLV_VAULT_LONG_OPTIONS,
        { "status", required_argument, NULL, 's' },
        { "tag", required_argument, NULL, 't' },
        { "assignee", required_argument, NULL, 'a' },
        { "since", required_argument, NULL, 'S' },
        { "until", required_argument, NULL, 'U' },
        { "field", required_argument, NULL, 'f' },
        { "sealed-to", required_argument, NULL, 'k' },
        { "sort", required_argument, NULL, 'o' },
        { "reverse", no_argument, NULL, 'r' },
        { "limit", required_argument, NULL, 'l' },
        { NULL, 0, NULL, 0 },
    };
    mlv_vault_args a = { 0 };
    filters f = { .since = -1, .until = -1 };
    char *needle = NULL;
    unsigned long limit = 0;
    mlv_vault v;
    gather g;
    int c, rc = 1;

    sort_by = SORT_ID;
    sort_reverse = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &a))
            continue;
        switch (c) {
        case 's':
            if ((f.status = mlv_triage_status_name(optarg)) == NULL) {
                mlv_cli_error("--status takes new, in-review, verified, rejected, published or follow-up");
                return 2;
            }
            break;
        case 't': f.tag = optarg; break;
        case 'a': f.assignee = optarg; break;
        case 'k': f.sealed_to = optarg; break;
        case 'S': if (parse_day(optarg, &f.since, "--since") != 0) return 2; break;
        case 'U': if (parse_day(optarg, &f.until, "--until") != 0) return 2; break;
        case 'f':
            if (f.nfields == MAX_FIELD_FILTERS) {
                mlv_cli_error("at most %u --field filters", MAX_FIELD_FILTERS);
                return 2;
            }
            if (mlv_cli_parse_field(optarg, &f.fields[f.nfields]) != 0)
                return 2;
            if ((f.fields[f.nfields].value = folded(f.fields[f.nfields].value)) == NULL)
                return 1;
            f.nfields++;
            break;
        case 'o': if (parse_sort(optarg) != 0) return 2; break;
        case 'r': sort_reverse = 1; break;
        case 'l': {
            char *end = NULL;
            errno = 0;
            limit = strtoul(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-') {
                mlv_cli_error("--limit takes a number of lines, e.g. --limit 50");
                return 2;
            }
            break;
        }
        case 'h': list_usage(stdout, argv[0]); return 0;
        default: list_usage(stderr, argv[0]); return 2;
        }
    }
    if (optind != argc - (search ? 1 : 0) || (search && argv[optind][0] == '\0')) {
        list_usage(stderr, argv[0]);
        return 2;
    }
    if (search && (f.text = needle = folded(argv[optind])) == NULL)
        return 1;
    if (mlv_vault_start(&a, &v, 1) != 0)
        goto done;
    if (gather_rows(&v, &f, &g) == 0) {
        qsort(g.rows, g.nrows, sizeof *g.rows, cmp_rows);
        printf("%5s  %-10s  %-10s %-10s %3s %9s  %-16s %s\n", "ID", "RECEIVED", "STATUS", "ASSIGNEE", "FILES",
               "SIZE", "SEALED TO", "SUMMARY");
        for (size_t i = 0; i < g.nrows && (limit == 0 || i < limit); i++)
            print_row(&g.rows[i]);
        printf("%zu of %zu testimon%s%s\n", g.nrows, g.total, g.total == 1 ? "y" : "ies",
               search ? " match" : "");
        rc = 0;
    }
    gather_free(&g);
    mlv_vault_close(&v);
done:
    for (size_t i = 0; i < f.nfields; i++)
        free(f.fields[i].value);
    free(needle);
    return rc;
}

int mlv_cmd_list(int argc, char **argv)
{
    return list_or_search(argc, argv, 0);
}

int mlv_cmd_search(int argc, char **argv)
{
    return list_or_search(argc, argv, 1);
}

/* ---- one testimony -------------------------------------------------------- */

static int parse_one_id(const char *cmd, int argc, char **argv, mlv_vault_args *a, const char **id)
{
    static const struct option options[] = { MLV_VAULT_LONG_OPTIONS, { NULL, 0, NULL, 0 } };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, a))
            continue;
        fprintf(c == 'h' ? stdout : stderr, "usage: malyava %s [--vault V] [--key NAME] [--passphrase-file F] ID\n",
                cmd);
        return c == 'h' ? 0 : 2;
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "usage: malyava %s [--vault V] [--key NAME] [--passphrase-file F] ID\n", cmd);
        return 2;
    }
    *id = argv[optind];
    return -1;
}

static const char *meta_note(mlv_file_meta m)
{
    switch (m) {
    case MLV_FILE_META_STRIPPED: return "metadata removed on the source's device";
    case MLV_FILE_META_KEPT: return "metadata KEPT by the source as evidence (place, time)";
    case MLV_FILE_META_NONE: break;
    }
    return "metadata not inspected: `malyava extract` checks it";
}

static int print_event(void *ctx, const mlv_triage_event *ev)
{
    size_t *shown = ctx;
    char day[11];

    mlv_day_format(day, ev->day);
    printf("  %s  ", day);
    mlv_termsafe_write(stdout, ev->by, strlen(ev->by), 0);
    printf("  %-7s ", mlv_triage_kind_name(ev->kind));
    mlv_termsafe_write(stdout, ev->value, strlen(ev->value), ev->kind == MLV_TRIAGE_NOTE);
    putchar('\n');
    ++*shown;
    return 0;
}

int mlv_cmd_show(int argc, char **argv)
{
    mlv_vault_args a = { 0 };
    const char *id = NULL;
    mlv_vault v;
    mlv_vdb_env e;
    mlv_metadata m;
    mlv_triage_state *states = NULL;
    char day[11], sealed[KEYS_COLUMN_BYTES * 4];
    mlv_env_status st;
    int rc = parse_one_id("show", argc, argv, &a, &id);

    if (rc >= 0)
        return rc;
    rc = 1;
    memset(&m, 0, sizeof m);
    memset(&e, 0, sizeof e);
    if (mlv_vault_start(&a, &v, 1) != 0)
        return 1;
    if (mlv_vault_get_env(&v, id, &e) != 0 || mlv_triage_states(&v, e.id, &states) != 0)
        goto out;
    st = mlv_vault_record(&v, &e, &m);
    mlv_day_format(day, e.received_day);
    sealed_to(&v, &e, sealed, sizeof sealed);
    printf("testimony %lld\nreceived:  %s\nreceipt:   %s\nsize:      %llu bytes\nsealed to: %s\n", (long long)e.id,
           day, e.receipt, (unsigned long long)e.size, sealed);
    if (e.server_sealed)
        printf("WARNING:   sent with the no-JavaScript form: the server saw this text while sealing it\n");
    printf("status:    %s\nassignee:  %s\ntags:     ", states[e.id - 1].status,
           states[e.id - 1].assignee != NULL ? states[e.id - 1].assignee : "-");
    for (size_t i = 0; i < states[e.id - 1].ntags; i++) {
        putchar(' ');
        mlv_termsafe_write(stdout, states[e.id - 1].tags[i], strlen(states[e.id - 1].tags[i]), 0);
    }
    printf("\n");
    if (st != MLV_ENV_OK) {
        mlv_cli_error("cannot open testimony %lld: %s", (long long)e.id, mlv_env_strerror(st));
        goto out;
    }
    printf("reply:     %s\n", m.has_reply_key ? "possible (`malyava reply`)" : "no codename given");
    for (size_t i = 0; i < m.nfields; i++) {
        printf("%-10s ", m.fields[i].name);
        mlv_termsafe_write(stdout, m.fields[i].value, strlen(m.fields[i].value), 0);
        putchar('\n');
    }
    printf("files:     %zu\n", m.nfiles);
    for (size_t i = 0; i < m.nfiles; i++) {
        printf("  %zu. ", i + 1);
        mlv_termsafe_write(stdout, m.files[i].name, strlen(m.files[i].name), 0);
        printf("  %llu bytes  ", (unsigned long long)m.files[i].length);
        if (m.files[i].media_type != NULL)
            mlv_termsafe_write(stdout, m.files[i].media_type, strlen(m.files[i].media_type), 0);
        printf("\n     %s\n", meta_note(m.files[i].meta));
    }
    printf("message:\n");
    if (m.message != NULL)
        mlv_termsafe_write(stdout, m.message, strlen(m.message), 1);
    printf("\nnotes:\n");
    {
        size_t shown = 0;
        if (mlv_triage_each(&v, e.id, print_event, &shown) != 0)
            goto out;
    }
    rc = 0;
out:
    if (states != NULL) {
        for (int64_t i = 0; i < e.id; i++)
            mlv_triage_state_clear(&states[i]);
        free(states);
    }
    mlv_meta_clear(&m);
    mlv_vdb_env_clear(&e);
    mlv_vault_close(&v);
    return rc;
}

int mlv_cmd_history(int argc, char **argv)
{
    mlv_vault_args a = { 0 };
    const char *id = NULL;
    mlv_vault v;
    mlv_vdb_env e;
    char day[11];
    size_t shown = 0;
    int rc = parse_one_id("history", argc, argv, &a, &id);

    if (rc >= 0)
        return rc;
    rc = 1;
    memset(&e, 0, sizeof e);
    if (mlv_vault_start(&a, &v, 1) != 0)
        return 1;
    if (mlv_vault_get_env(&v, id, &e) == 0) {
        mlv_day_format(day, e.imported_day);
        printf("testimony %lld\n  %s  imported\n", (long long)e.id, day);
        if (mlv_triage_each(&v, e.id, print_event, &shown) == 0) {
            printf("%zu change%s\n", shown, shown == 1 ? "" : "s");
            rc = 0;
        }
    }
    mlv_vdb_env_clear(&e);
    mlv_vault_close(&v);
    return rc;
}

/* ---- report --------------------------------------------------------------- */

typedef struct tally {
    char *name;
    size_t count;
} tally;

typedef struct tallies {
    tally *items;
    size_t n;
} tallies;

static int tally_add(tallies *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->items[i].name, name) == 0) {
            t->items[i].count++;
            return 0;
        }
    }
    tally *grown = realloc(t->items, (t->n + 1) * sizeof *grown);
    if (grown == NULL)
        return -1;
    t->items = grown;
    if ((t->items[t->n].name = strdup(name)) == NULL)
        return -1;
    t->items[t->n++].count = 1;
    return 0;
}

static int cmp_tally_name(const void *a, const void *b)
{
    return strcmp(((const tally *)a)->name, ((const tally *)b)->name);
}

static int cmp_tally_count(const void *a, const void *b)
{
    const tally *x = a, *y = b;

    return x->count != y->count ? (x->count < y->count) - (x->count > y->count) : strcmp(x->name, y->name);
}

static void tallies_free(tallies *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->items[i].name);
    free(t->items);
}

static void print_tallies(const char *title, const tallies *t, size_t total)
{
    size_t max = 1;

    for (size_t i = 0; i < t->n; i++)
        max = t->items[i].count > max ? t->items[i].count : max;
    printf("\n%s\n", title);
    for (size_t i = 0; i < t->n; i++) {
        size_t bar = (t->items[i].count * 40u + max - 1u) / max, width = utf8_chars(t->items[i].name, 24);

        printf("  ");
        print_cut(t->items[i].name, 24);
        printf("%*s %6zu %5.1f%%  ", (int)(width < 27 ? 27 - width : 0), "", t->items[i].count,
               total > 0 ? 100.0 * (double)t->items[i].count / (double)total : 0.0);
        for (size_t b = 0; b < bar; b++)
            putchar('#');
        putchar('\n');
    }
}

/* Text for SVG: the five XML specials escaped, control characters dropped. */
static void svg_text(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 && *s != 0x7f)
                fputc(*s, f);
        }
    }
}

static double svg_group(FILE *f, const char *title, const tallies *t, double y)
{
    size_t max = 1;

    for (size_t i = 0; i < t->n; i++)
        max = t->items[i].count > max ? t->items[i].count : max;
    fprintf(f, "<text x=\"10\" y=\"%.0f\" font-weight=\"bold\">", y + 16);
    svg_text(f, title);
    fprintf(f, "</text>\n");
    y += 26;
    for (size_t i = 0; i < t->n; i++, y += 22) {
        double w = 400.0 * (double)t->items[i].count / (double)max;
        fprintf(f, "<text x=\"10\" y=\"%.0f\">", y + 15);
        svg_text(f, t->items[i].name);
        fprintf(f, "</text><rect x=\"200\" y=\"%.0f\" width=\"%.1f\" height=\"16\" fill=\"#2a6f97\"/>"
                   "<text x=\"%.1f\" y=\"%.0f\">%zu</text>\n",
                y + 2, w, 206 + w, y + 15, t->items[i].count);
    }
    return y + 14;
}

static int write_svg(const char *path, const tallies *by_status, const tallies *by_place, const tallies *by_month,
                     size_t total)
{
    size_t rows = by_status->n + by_place->n + by_month->n;
    double height = 60.0 + 40.0 * 3 + 22.0 * (double)rows;
    int fd = mlv_file_create(path);
    FILE *f;
    double y;

    if (fd < 0) {
        mlv_cli_error("cannot create '%s': %s", path, errno == EEXIST ? "it exists; choose a new name" : strerror(errno));
        return -1;
    }
    f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        return -1;
    }
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"680\" height=\"%.0f\" "
               "font-family=\"sans-serif\" font-size=\"13\">\n<title>Malyava report</title>\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
               "<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%zu testimonies</text>\n",
            height, total);
    y = svg_group(f, "By status", by_status, 36);
    y = svg_group(f, "By place", by_place, y);
    svg_group(f, "By month received", by_month, y);
    fprintf(f, "</svg>\n");
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        fclose(f);
        mlv_cli_error("cannot write '%s': %s", path, strerror(errno));
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

int mlv_cmd_report(int argc, char **argv)
{
    static const struct option options[] = {
        MLV_VAULT_LONG_OPTIONS, { "svg", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 },
    };
    mlv_vault_args a = { 0 };
    filters f = { .since = -1, .until = -1 };
    tallies by_status = { 0 }, by_place = { 0 }, by_month = { 0 };
    const char *svg = NULL;
    mlv_vault v;
    gather g;
    int c, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &a))
            continue;
        if (c == 's') {
            svg = optarg;
            continue;
        }
        fprintf(c == 'h' ? stdout : stderr, "usage: malyava report [--vault V] [--key NAME] [--passphrase-file F] "
                                            "[--svg FILE]\n");
        return c == 'h' ? 0 : 2;
    }
    if (optind != argc) {
        mlv_cli_error("report takes no arguments besides its options");
        return 2;
    }
    if (mlv_vault_start(&a, &v, 1) != 0)
        return 1;
    if (gather_rows(&v, &f, &g) != 0)
        goto out;
    for (size_t i = 0; i < mlv_triage_nstatuses; i++) {
        if (tally_add(&by_status, mlv_triage_statuses[i]) != 0)
            goto out;
        by_status.items[i].count = 0;
    }
    for (size_t i = 0; i < g.nrows; i++) {
        const char *place = g.rows[i].readable ? field_value(&g.rows[i].meta, "place") : NULL;
        char day[11];

        mlv_day_format(day, g.rows[i].received_day);
        day[7] = '\0';
        if (tally_add(&by_status, g.rows[i].state->status) != 0 ||
            tally_add(&by_place, place != NULL && place[0] != '\0' ? place : "(no place given)") != 0 ||
            tally_add(&by_month, day) != 0)
            goto out;
    }
    qsort(by_place.items, by_place.n, sizeof *by_place.items, cmp_tally_count);
    qsort(by_month.items, by_month.n, sizeof *by_month.items, cmp_tally_name);
    printf("%zu testimonies\n", g.nrows);
    print_tallies("by status", &by_status, g.nrows);
    print_tallies("by place", &by_place, g.nrows);
    print_tallies("by month received", &by_month, g.nrows);
    if (svg != NULL) {
        if (write_svg(svg, &by_status, &by_place, &by_month, g.nrows) != 0)
            goto out;
        printf("\nchart: %s\n", svg);
    }
    rc = 0;
out:
    tallies_free(&by_status);
    tallies_free(&by_place);
    tallies_free(&by_month);
    gather_free(&g);
    mlv_vault_close(&v);
    return rc;
}
