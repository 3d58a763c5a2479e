/*
 * The desk's decrypted index: for every testimony what the inbox shows
 * and searches (a summary, the fields, the folded text of message, fields
 * and file names) and its triage state, so that the inbox and a search as
 * you type answer from memory instead of decrypting every envelope's
 * record (0.8 s for 10,000) on each keystroke.
 *
 * Texts live in an arena of sodium_malloc'd blocks: guard pages, kept out
 * of core dumps, locked in RAM as far as RLIMIT_MEMLOCK allows (libsodium
 * carries on unlocked past it, and the desk says so at unlock), wiped
 * when the index is freed at lock time. Triage states
 * (tags, notes, assignee) are the ones triage.c makes, in ordinary memory,
 * wiped when cleared.
 */
#ifndef MALYAVA_CLIENT_DESK_INDEX_H
#define MALYAVA_CLIENT_DESK_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "inbox.h"
#include "triage.h"
#include "vault.h"

/* Characters of a message kept for the inbox's summary column: two lines
 * of the page at most, cut by characters (text.h), never inside one. */
#define MLV_DESK_SUMMARY_CHARS 160u

typedef struct mlv_desk_entry {
    mlv_inbox_item item;  /* message: the summary; fields and folded in the arena */
    int has_reply_key;
    int summary_cut;      /* the message is longer than the summary */
} mlv_desk_entry;

typedef struct mlv_desk_index mlv_desk_index;

/* Opens every record; NULL after a message on stderr. */
mlv_desk_index *mlv_desk_index_build(const mlv_vault *v);
/* Adds testimonies imported since, notes which keys each is sealed to
 * now, and sums the triage events again. -1 after a message. */
int mlv_desk_index_catch_up(mlv_desk_index *x, const mlv_vault *v);
/* Applies one event the desk itself just stored. */
void mlv_desk_index_apply(mlv_desk_index *x, const mlv_triage_event *ev);
void mlv_desk_index_free(mlv_desk_index *x);

size_t mlv_desk_index_count(const mlv_desk_index *x);
const mlv_desk_entry *mlv_desk_index_at(const mlv_desk_index *x, size_t i);
/* By testimony number; NULL if the index has none. */
const mlv_desk_entry *mlv_desk_index_get(const mlv_desk_index *x, int64_t id);
/* Bytes of text held. */
size_t mlv_desk_index_bytes(const mlv_desk_index *x);

/*
 * The items the filter keeps, sorted; *out is malloc'd (pointers into
 * the index, valid until it changes). by_status[i] counts what the filter
 * keeps but for its status, per mlv_triage_statuses[i].
 */
int mlv_desk_index_query(const mlv_desk_index *x, const mlv_inbox_filter *f, mlv_inbox_sort by, int reverse,
                         const mlv_inbox_item ***out, size_t *n, size_t *by_status);

#endif
