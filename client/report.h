/*
 * The report: testimonies counted by status, by place and by month
 * received, as a table for the terminal (`malyava report`) and as an SVG
 * chart (`report --svg`, and the desk's report page).
 */
#ifndef MALYAVA_CLIENT_REPORT_H
#define MALYAVA_CLIENT_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "inbox.h"

typedef struct mlv_report_tally {
    char *name;
    size_t count;
} mlv_report_tally;

typedef struct mlv_report_group {
    mlv_report_tally *items;
    size_t n;
} mlv_report_group;

typedef struct mlv_report {
    size_t total;
    mlv_report_group by_status; /* every status, in the order of mlv_triage_statuses */
    mlv_report_group by_place;  /* most first; "(no place given)" for none */
    mlv_report_group by_month;  /* "YYYY-MM", oldest first */
} mlv_report;

/* Counts the items; -1 when out of memory (the report is cleared). */
int mlv_report_build(const mlv_inbox_item *const *items, size_t n, mlv_report *out);
void mlv_report_clear(mlv_report *r);

/* The table, labels through termsafe. */
void mlv_report_print(FILE *out, const mlv_report *r);
/* The chart; 0, or -1 on a write error. Labels are escaped for XML and
 * lose their control characters. */
int mlv_report_svg(FILE *out, const mlv_report *r);

#endif
