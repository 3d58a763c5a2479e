/*
 * Which testimonies a filter keeps and in which order: what `list`,
 * `search`, `report` and the desk's inbox share, so that a search gives
 * the same answer on the command line and in the browser.
 *
 * A testimony is judged as an mlv_inbox_item: what the envelope row says
 * in clear, what its metadata record says once opened, and its triage
 * state. Text is matched folded (text.h: case, ё and е, ...); filters
 * hold their values folded already.
 */
#ifndef MALYAVA_CLIENT_INBOX_H
#define MALYAVA_CLIENT_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/limits.h>
#include <malyava/payload.h>

#include "triage.h"
#include "vault.h"

#define MLV_INBOX_MAX_FIELD_FILTERS 8u
/* Names of the keys an envelope is sealed to, comma-separated, cut with
 * "..." past this: a column, not a list (mlv_inbox_sealed_to_list has all). */
#define MLV_INBOX_SEALED_TO_BYTES 24u

typedef struct mlv_inbox_filter {
    const char *status;    /* canonical (mlv_triage_status_name), or NULL */
    const char *tag;
    const char *assignee;  /* "none": nobody */
    const char *sealed_to; /* a key name */
    char *text;            /* folded; owned (mlv_inbox_filter_clear) */
    mlv_field fields[MLV_INBOX_MAX_FIELD_FILTERS]; /* values folded and owned */
    size_t nfields;
    int64_t since, until;  /* days, -1 for none */
} mlv_inbox_filter;

/* An empty filter: keeps everything. */
void mlv_inbox_filter_init(mlv_inbox_filter *f);
/* Sets the search text (folded copy); -1 when out of memory. */
int mlv_inbox_filter_text(mlv_inbox_filter *f, const char *text);
/* Adds a field filter (name and value copied, value folded); -1 when
 * full or out of memory. */
int mlv_inbox_filter_field(mlv_inbox_filter *f, const char *name, const char *value);
void mlv_inbox_filter_clear(mlv_inbox_filter *f);

typedef struct mlv_inbox_item {
    int64_t id;
    int64_t received_day;
    uint64_t size;
    int server_sealed;
    int readable;                /* a vault key opens it: the rest is known */
    const char *message;         /* may be NULL */
    const mlv_field *fields;
    size_t nfields;
    size_t nfiles;
    const char *folded;          /* mlv_inbox_fold_record of its record; needed for text */
    char sealed_to[MLV_INBOX_SEALED_TO_BYTES];
    const mlv_triage_state *state;
} mlv_inbox_item;

/* 1 if the filter keeps the item. An unreadable one is kept only when
 * no filter needs its contents, so nothing hides from a plain list. */
int mlv_inbox_keep(const mlv_inbox_filter *f, const mlv_inbox_item *it);
/* The same without the status filter: for counts by status. */
int mlv_inbox_keep_any_status(const mlv_inbox_filter *f, const mlv_inbox_item *it);

/* The folded text a search looks through: message, field values and file
 * names, one per line; malloc'd, the caller wipes and frees it. */
char *mlv_inbox_fold_record(const mlv_metadata *m);
/* Bytes mlv_inbox_fold_record needs at most, NUL included. */
size_t mlv_inbox_fold_record_bytes(const mlv_metadata *m);
void mlv_inbox_fold_record_into(const mlv_metadata *m, char *out);

/* The value of field `name`, or NULL. */
const char *mlv_inbox_field(const mlv_field *fields, size_t n, const char *name);

/* Names of the vault keys the envelope is sealed to ("alice,bob"); a key
 * the vault does not know shows as the first 8 hex digits of its id. */
void mlv_inbox_sealed_to(const mlv_vault *v, const mlv_vdb_env *e, char *out, size_t size);

/* How many envelopes each vault key (v->rows order) is sealed to: how far
 * a rewrap went. `counts` has v->nrows slots. -1 when the vault fails. */
int mlv_inbox_sealed_counts(const mlv_vault *v, size_t *counts);

typedef enum mlv_inbox_sort {
    MLV_INBOX_SORT_ID,
    MLV_INBOX_SORT_RECEIVED,
    MLV_INBOX_SORT_STATUS,
    MLV_INBOX_SORT_PLACE,
    MLV_INBOX_SORT_SIZE
} mlv_inbox_sort;

/* "id", "received", "status", "place", "size"; -1 for anything else. */
int mlv_inbox_sort_parse(const char *s, mlv_inbox_sort *out);
/* Sorts pointers to items; ties go by id, so the order is total. */
void mlv_inbox_sort_items(const mlv_inbox_item **items, size_t n, mlv_inbox_sort by, int reverse);

#endif
