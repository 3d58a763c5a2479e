/*
 * Reading the vault: `list`, `search`, `show`, `history`, `report`.
 *
 * Everything shown is decrypted on the fly from the sealed envelopes and
 * events, in memory, and written to the terminal through termsafe, which
 * drops escape sequences a hostile testimony could use to rewrite the
 * screen. Only the metadata record of each envelope is decrypted for
 * lists and searches (with the file key the vault kept), not its files.
 * Which testimonies a filter keeps, and their order, is inbox.c's: the
 * desk's inbox answers the same.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/manifest.h>
#include <malyava/termsafe.h>

#include "cli.h"
#include "commands.h"
#include "inbox.h"
#include "report.h"
#include "triage.h"
#include "vault.h"

#define SUMMARY_CHARS 60u

/* One testimony as the tables show it; the item first, so that a sorted
 * item pointer is its row. */
typedef struct row {
    mlv_inbox_item item;
    mlv_metadata meta;
} row;

typedef struct gather {
    const mlv_vault *v;
    const mlv_inbox_filter *f;
    mlv_triage_state *states;
    int64_t nstates;
    row *rows;
    size_t nrows, cap, total;
    int failed;
} gather;

static void item_view(row *r)
{
    r->item.message = r->meta.message;
    r->item.fields = r->meta.fields;
    r->item.nfields = r->meta.nfields;
    r->item.nfiles = r->meta.nfiles;
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
    char *folded = NULL;

    j->r->meta = *meta;
    item_view(j->r);
    j->r->item.readable = 1;
    if (j->g->f->text != NULL && (j->r->item.folded = folded = mlv_inbox_fold_record(meta)) == NULL)
        return -1;
    j->kept = mlv_inbox_keep(j->g->f, &j->r->item);
    j->r->item.folded = NULL;
    if (folded != NULL) {
        sodium_memzero(folded, strlen(folded));
        free(folded);
    }
    memset(&j->r->meta, 0, sizeof j->r->meta);
    if (j->kept && mlv_meta_copy(meta, &j->r->meta) != MLV_ENV_OK)
        return -1;
    item_view(j->r);
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
    r.item.id = e->id;
    r.item.received_day = e->received_day;
    r.item.size = e->size;
    r.item.server_sealed = e->server_sealed;
    r.item.state = e->id >= 1 && e->id <= g->nstates ? &g->states[e->id - 1] : NULL;
    if (r.item.state == NULL)
        return 0;
    mlv_inbox_sealed_to(g->v, e, r.item.sealed_to, sizeof r.item.sealed_to);
    g->total++;
    st = mlv_vault_read(g->v, e, &cb, &j, 1, NULL);
    if (st != MLV_ENV_OK) {
        if (st != MLV_ENV_ERR_NOT_FOR_ME)
            fprintf(stderr, "malyava: testimony %lld does not open: %s\n", (long long)e->id, mlv_env_strerror(st));
        mlv_meta_clear(&r.meta);
        item_view(&r);
        r.item.readable = 0;
        j.kept = mlv_inbox_keep(g->f, &r.item);
    }
    if (!j.kept) {
        mlv_meta_clear(&r.meta);
        return 0;
    }
    if (g->nrows == g->cap) {
        size_t cap = g->cap * 2u + 64u;
        row *grown = realloc(g->rows, cap * sizeof *grown);
        if (grown == NULL) {
            mlv_meta_clear(&r.meta);
            g->failed = 1;
            return 1;
        }
        g->rows = grown;
        g->cap = cap;
    }
    g->rows[g->nrows++] = r;
    return 0;
}

static int gather_rows(const mlv_vault *v, const mlv_inbox_filter *f, gather *g)
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
    for (size_t i = 0; i < g->nrows; i++)
        item_view(&g->rows[i]);
    return 0;
}

static void gather_free(gather *g)
{
    for (size_t i = 0; i < g->nrows; i++)
        mlv_meta_clear(&g->rows[i].meta);
    free(g->rows);
    /* States are NULL when summing the events failed. */
    for (int64_t i = 0; g->states != NULL && i < g->nstates; i++)
        mlv_triage_state_clear(&g->states[i]);
    free(g->states);
}

/* The rows as items, in the order asked; NULL when out of memory. */
static const mlv_inbox_item **sorted_items(const gather *g, mlv_inbox_sort by, int reverse)
{
    const mlv_inbox_item **items = calloc(g->nrows > 0 ? g->nrows : 1u, sizeof *items);

    if (items == NULL) {
        mlv_cli_error("out of memory");
        return NULL;
    }
    for (size_t i = 0; i < g->nrows; i++)
        items[i] = &g->rows[i].item;
    mlv_inbox_sort_items(items, g->nrows, by, reverse);
    return items;
}

/* ---- printing ------------------------------------------------------------- */

static void print_size(uint64_t n)
{
    if (n < 10000u)
        printf("%7llu B", (unsigned long long)n);
    else if (n < 10000u * 1024u)
        printf("%6llu KB", (unsigned long long)(n / 1024u));
    else
        printf("%6llu MB", (unsigned long long)(n / (1024u * 1024u)));
}

static void print_row(const mlv_inbox_item *r)
{
    char day[11];
    const char *place = mlv_inbox_field(r->fields, r->nfields, "place");
    const char *who = r->state->assignee != NULL ? r->state->assignee : "-";
    size_t width;

    mlv_day_format(day, r->received_day);
    printf("%5lld  %s  %-10s ", (long long)r->id, day, r->state->status);
    width = mlv_cli_print_cut(stdout, who, 10);
    printf("%*s %3zu ", (int)(width < 10 ? 10 - width : 0), "", r->nfiles);
    print_size(r->size);
    printf("  %-16s ", r->sealed_to);
    if (!r->readable) {
        printf("(no key of this vault opens it)\n");
        return;
    }
    if (place != NULL) {
        putchar('[');
        mlv_cli_print_cut(stdout, place, 20);
        fputs("] ", stdout);
    }
    mlv_cli_print_cut(stdout, r->message != NULL ? r->message : "", SUMMARY_CHARS);
    putchar('\n');
}

/* ---- list and search -------------------------------------------------------- */

static void list_usage(FILE *out, const char *cmd)
{
    fprintf(out,
            "usage: malyava %s [--vault V] [--key NAME] [--passphrase-file F]%s\n"
            "         [--status S] [--tag T] [--assignee NAME|none] [--since YYYY-MM-DD] [--until YYYY-MM-DD]\n"
            "         [--field NAME=TEXT]... [--sealed-to KEYNAME] [--sort id|received|status|place|size]\n"
            "         [--reverse] [--limit N]\n"
            "  SERVER DAY, --since, --until, --sort received: the day the server says it received each\n"
            "  submission; the server could have written any day (nothing signs it)\n",
            cmd, strcmp(cmd, "search") == 0 ? " TEXT" : "");
}

static int has_key(const mlv_vault *v, const char *name)
{
    for (size_t i = 0; i < v->nrows; i++) {
        if (strcmp(v->rows[i].name, name) == 0)
            return 1;
    }
    return 0;
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
    mlv_inbox_filter f;
    mlv_inbox_sort sort_by = MLV_INBOX_SORT_ID;
    const mlv_inbox_item **items = NULL;
    unsigned long limit = 0;
    mlv_field field;
    mlv_vault v;
    gather g;
    int c, rc = 2, sort_reverse = 0;

    mlv_inbox_filter_init(&f);
    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &a))
            continue;
        switch (c) {
        case 's':
            if ((f.status = mlv_triage_status_name(optarg)) == NULL) {
                mlv_cli_error("--status takes new, in-review, verified, rejected, published or follow-up");
                goto done;
            }
            break;
        case 't': f.tag = optarg; break;
        case 'a': f.assignee = optarg; break;
        case 'k': f.sealed_to = optarg; break;
        case 'S': if (parse_day(optarg, &f.since, "--since") != 0) goto done; break;
        case 'U': if (parse_day(optarg, &f.until, "--until") != 0) goto done; break;
        case 'f':
            if (f.nfields == MLV_INBOX_MAX_FIELD_FILTERS) {
                mlv_cli_error("at most %u --field filters", MLV_INBOX_MAX_FIELD_FILTERS);
                goto done;
            }
            if (mlv_cli_parse_field(optarg, &field) != 0)
                goto done;
            if (mlv_inbox_filter_field(&f, field.name, field.value) != 0) {
                rc = 1;
                goto done;
            }
            break;
        case 'o':
            if (mlv_inbox_sort_parse(optarg, &sort_by) != 0) {
                mlv_cli_error("--sort takes id, received, status, place or size");
                goto done;
            }
            break;
        case 'r': sort_reverse = 1; break;
        case 'l': {
            char *end = NULL;
            errno = 0;
            limit = strtoul(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-') {
                mlv_cli_error("--limit takes a number of lines, e.g. --limit 50");
                goto done;
            }
            break;
        }
        case 'h': list_usage(stdout, argv[0]); rc = 0; goto done;
        default: list_usage(stderr, argv[0]); goto done;
        }
    }
    if (optind != argc - (search ? 1 : 0) || (search && argv[optind][0] == '\0')) {
        list_usage(stderr, argv[0]);
        goto done;
    }
    rc = 1;
    if (search && mlv_inbox_filter_text(&f, argv[optind]) != 0)
        goto done;
    if (mlv_vault_start(&a, &v, 0) != 0)
        goto done;
    if (f.sealed_to != NULL && !has_key(&v, f.sealed_to)) {
        mlv_cli_error("--sealed-to: the vault has no key named '%s'; `malyava key list` shows its keys", f.sealed_to);
        rc = 2;
        mlv_vault_close(&v);
        goto done;
    }
    if (mlv_vault_unlock_late(&a, &v) != 0) {
        mlv_vault_close(&v);
        goto done;
    }
    if (gather_rows(&v, &f, &g) == 0 && (items = sorted_items(&g, sort_by, sort_reverse)) != NULL) {
        /* The day a submission arrived is the server's word (docs/EDITORS.md). */
        printf("%5s  %-10s  %-10s %-10s %3s %9s  %-16s %s\n", "ID", "SERVER DAY", "STATUS", "ASSIGNEE", "FILES",
               "SIZE", "SEALED TO", "SUMMARY");
        for (size_t i = 0; i < g.nrows && (limit == 0 || i < limit); i++)
            print_row(items[i]);
        printf("%zu of %zu testimon%s%s\n", g.nrows, g.total, g.total == 1 ? "y" : "ies",
               search ? " match" : "");
        rc = 0;
    }
    free(items);
    gather_free(&g);
    mlv_vault_close(&v);
done:
    mlv_inbox_filter_clear(&f);
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

/* Opens the vault, checks that ID names a testimony (a deleted one too
 * when `deleted_ok`: its history stays), then unlocks: 0, or the exit
 * status after a message. */
static int start_for_id(const mlv_vault_args *a, mlv_vault *v, const char *id, int deleted_ok, int64_t *num)
{
    if (mlv_vault_start(a, v, 0) != 0)
        return 1;
    if (mlv_vault_check_id(v, id, deleted_ok, num) != 0) {
        mlv_vault_close(v);
        return 2;
    }
    if (mlv_vault_unlock_late(a, v) != 0) {
        mlv_vault_close(v);
        return 1;
    }
    return 0;
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
    char day[11], sealed[MLV_INBOX_SEALED_TO_BYTES * 4];
    mlv_env_status st;
    int rc = parse_one_id("show", argc, argv, &a, &id);

    if (rc >= 0)
        return rc;
    rc = 1;
    memset(&m, 0, sizeof m);
    memset(&e, 0, sizeof e);
    if ((rc = start_for_id(&a, &v, id, 0, NULL)) != 0)
        return rc;
    rc = 1;
    if (mlv_vault_get_env(&v, id, &e) != 0 || mlv_triage_states(&v, e.id, &states) != 0)
        goto out;
    st = mlv_vault_record(&v, &e, &m);
    mlv_day_format(day, e.received_day);
    mlv_inbox_sealed_to(&v, &e, sealed, sizeof sealed);
    printf("testimony %lld\nreceived:  %s (the server's word: nothing proves the day)\nreceipt:   %s\n"
           "size:      %llu bytes\nsealed to: %s\n", (long long)e.id, day, e.receipt, (unsigned long long)e.size, sealed);
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
    int64_t num = 0;
    int rc = parse_one_id("history", argc, argv, &a, &id);

    if (rc >= 0)
        return rc;
    memset(&e, 0, sizeof e);
    if ((rc = start_for_id(&a, &v, id, 1, &num)) != 0)
        return rc;
    rc = 1;
    if (mlv_vdb_env_get(v.db, num, &e) == MLV_VDB_OK) {
        mlv_day_format(day, e.imported_day);
        printf("testimony %lld%s\n  %s  imported\n", (long long)e.id, e.deleted ? " (deleted)" : "", day);
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

static int write_svg(const char *path, const mlv_report *r)
{
    int fd = mlv_file_create(path);
    FILE *f;

    if (fd < 0) {
        mlv_cli_error("cannot create '%s': %s", path, errno == EEXIST ? "it exists; choose a new name" : strerror(errno));
        return -1;
    }
    f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        return -1;
    }
    if (mlv_report_svg(f, r) != 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
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
    mlv_inbox_filter f;
    mlv_report report;
    const mlv_inbox_item **items = NULL;
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
    if (svg != NULL && mlv_cli_check_new_file(svg, "the chart", NULL) != 0)
        return 2;
    mlv_inbox_filter_init(&f);
    memset(&report, 0, sizeof report);
    if (mlv_vault_start(&a, &v, 1) != 0)
        return 1;
    if (gather_rows(&v, &f, &g) != 0 || (items = sorted_items(&g, MLV_INBOX_SORT_ID, 0)) == NULL)
        goto out;
    if (mlv_report_build(items, g.nrows, &report) != 0) {
        mlv_cli_error("out of memory");
        goto out;
    }
    mlv_report_print(stdout, &report);
    if (svg != NULL) {
        if (write_svg(svg, &report) != 0)
            goto out;
        printf("\nchart: %s\n", svg);
    }
    rc = 0;
out:
    mlv_report_clear(&report);
    free(items);
    gather_free(&g);
    mlv_vault_close(&v);
    return rc;
}
