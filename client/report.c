/* See report.h. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include <malyava/manifest.h>

#include "cli.h"
#include "text.h"

#define NO_PLACE "(no place given)"
/* A label of the chart holds this many characters at most, then "…";
 * whatever their width, the labels are clipped short of the bars, which
 * start at x = 200. */
#define SVG_LABEL_CHARS 26u
#define SVG_LABEL_WIDTH 186

static int tally_add(mlv_report_group *g, const char *name)
{
    mlv_report_tally *grown;

    for (size_t i = 0; i < g->n; i++) {
        if (strcmp(g->items[i].name, name) == 0) {
            g->items[i].count++;
            return 0;
        }
    }
    if ((grown = realloc(g->items, (g->n + 1) * sizeof *grown)) == NULL)
        return -1;
    g->items = grown;
    if ((g->items[g->n].name = strdup(name)) == NULL)
        return -1;
    g->items[g->n++].count = 1;
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const mlv_report_tally *)a)->name, ((const mlv_report_tally *)b)->name);
}

static int cmp_count(const void *a, const void *b)
{
    const mlv_report_tally *x = a, *y = b;

    return x->count != y->count ? (x->count < y->count) - (x->count > y->count) : strcmp(x->name, y->name);
}

static void group_clear(mlv_report_group *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->items[i].name);
    free(g->items);
    g->items = NULL;
    g->n = 0;
}

void mlv_report_clear(mlv_report *r)
{
    group_clear(&r->by_status);
    group_clear(&r->by_place);
    group_clear(&r->by_month);
    r->total = 0;
}

int mlv_report_build(const mlv_inbox_item *const *items, size_t n, mlv_report *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < mlv_triage_nstatuses; i++) {
        if (tally_add(&out->by_status, mlv_triage_statuses[i]) != 0)
            goto fail;
        out->by_status.items[i].count = 0;
    }
    for (size_t i = 0; i < n; i++) {
        const mlv_inbox_item *it = items[i];
        const char *place = it->readable ? mlv_inbox_field(it->fields, it->nfields, "place") : NULL;
        char day[11];

        mlv_day_format(day, it->received_day);
        day[7] = '\0';
        if (tally_add(&out->by_status, it->state->status) != 0 ||
            tally_add(&out->by_place, place != NULL ? place : "") != 0 || tally_add(&out->by_month, day) != 0)
            goto fail;
    }
    out->total = n;
    /* No rows is no array: qsort must not be handed NULL. */
    if (out->by_place.n > 1)
        qsort(out->by_place.items, out->by_place.n, sizeof *out->by_place.items, cmp_count);
    if (out->by_month.n > 1)
        qsort(out->by_month.items, out->by_month.n, sizeof *out->by_month.items, cmp_name);
    return 0;
fail:
    mlv_report_clear(out);
    return -1;
}

static const char *label(const char *name)
{
    return name[0] != '\0' ? name : NO_PLACE;
}

static void print_group(FILE *out, const char *title, const mlv_report_group *g, size_t total)
{
    size_t max = 1;

    for (size_t i = 0; i < g->n; i++)
        max = g->items[i].count > max ? g->items[i].count : max;
    fprintf(out, "\n%s\n", title);
    for (size_t i = 0; i < g->n; i++) {
        const char *name = label(g->items[i].name);
        size_t bar = (g->items[i].count * 40u + max - 1u) / max, width;

        fprintf(out, "  ");
        width = mlv_cli_print_cut(out, name, 24);
        fprintf(out, "%*s %6zu %5.1f%%  ", (int)(width < 27 ? 27 - width : 0), "", g->items[i].count,
                total > 0 ? 100.0 * (double)g->items[i].count / (double)total : 0.0);
        for (size_t b = 0; b < bar; b++)
            fputc('#', out);
        fputc('\n', out);
    }
}

void mlv_report_print(FILE *out, const mlv_report *r)
{
    fprintf(out, "%zu testimonies\n", r->total);
    print_group(out, "by status", &r->by_status, r->total);
    print_group(out, "by place", &r->by_place, r->total);
    print_group(out, "by month received", &r->by_month, r->total);
}

/* Text for SVG: the five XML specials escaped, control characters dropped. */
static void svg_text_n(FILE *f, const char *s, size_t len)
{
    for (const char *end = s + len; s < end && *s != '\0'; s++) {
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

static void svg_text(FILE *f, const char *s)
{
    svg_text_n(f, s, strlen(s));
}

/* A label cut by characters, never inside one. */
static void svg_label(FILE *f, const char *s)
{
    size_t len = mlv_text_cut(s, SVG_LABEL_CHARS, NULL);

    svg_text_n(f, s, len);
    if (s[len] != '\0')
        fputs("\xe2\x80\xa6", f); /* … */
}

static double svg_group(FILE *f, const char *title, const mlv_report_group *g, double y)
{
    size_t max = 1;

    for (size_t i = 0; i < g->n; i++)
        max = g->items[i].count > max ? g->items[i].count : max;
    fprintf(f, "<text x=\"10\" y=\"%.0f\" font-weight=\"bold\">", y + 16);
    svg_text(f, title);
    fprintf(f, "</text>\n");
    y += 26;
    for (size_t i = 0; i < g->n; i++, y += 22) {
        double w = 400.0 * (double)g->items[i].count / (double)max;
        fprintf(f, "<text x=\"10\" y=\"%.0f\" clip-path=\"url(#labels)\">", y + 15);
        svg_label(f, label(g->items[i].name));
        fprintf(f, "</text><rect x=\"200\" y=\"%.0f\" width=\"%.1f\" height=\"16\" fill=\"#2a6f97\"/>"
                   "<text x=\"%.1f\" y=\"%.0f\">%zu</text>\n",
                y + 2, w, 206 + w, y + 15, g->items[i].count);
    }
    return y + 14;
}

int mlv_report_svg(FILE *f, const mlv_report *r)
{
    size_t rows = r->by_status.n + r->by_place.n + r->by_month.n;
    double height = 60.0 + 40.0 * 3 + 22.0 * (double)rows, y;

    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"680\" height=\"%.0f\" "
               "font-family=\"sans-serif\" font-size=\"13\">\n<title>Malyava report</title>\n"
               "<defs><clipPath id=\"labels\"><rect x=\"0\" y=\"0\" width=\"%d\" height=\"%.0f\"/></clipPath></defs>\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
               "<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%zu testimonies</text>\n",
            height, SVG_LABEL_WIDTH, height, r->total);
    y = svg_group(f, "By status", &r->by_status, 36);
    y = svg_group(f, "By place", &r->by_place, y);
    svg_group(f, "By month received", &r->by_month, y);
    fprintf(f, "</svg>\n");
    return ferror(f) ? -1 : 0;
}
