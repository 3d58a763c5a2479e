/*
 * Triage: what editors record about a testimony — status, tags, notes,
 * who is on it — as sealed events in the vault, one per change, so the
 * history is kept and the current state is their sum.
 */
#ifndef MALYAVA_CLIENT_TRIAGE_H
#define MALYAVA_CLIENT_TRIAGE_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/limits.h>

#include "vault.h"


typedef enum mlv_triage_kind {
    MLV_TRIAGE_STATUS,
    MLV_TRIAGE_TAG,
    MLV_TRIAGE_UNTAG,
    MLV_TRIAGE_NOTE,
    MLV_TRIAGE_ASSIGN,
    MLV_TRIAGE_REPLY,
    MLV_TRIAGE_DELETE  /* `malyava delete`: the last event of a testimony no key opened */
} mlv_triage_kind;

typedef struct mlv_triage_event {
    int64_t envelope;
    int64_t day;
    mlv_triage_kind kind;
    const char *value;
    const char *by;
} mlv_triage_event;

/* The state of one testimony: the sum of its events. */
typedef struct mlv_triage_state {
    const char *status; /* one of mlv_triage_statuses; "new" until set */
    char *assignee;     /* NULL: nobody */
    char *tags[MLV_TRIAGE_MAX_TAGS];
    size_t ntags;
    size_t notes;
    char *text;         /* the notes, one per line, for search */
    size_t replies;
} mlv_triage_state;

extern const char *const mlv_triage_statuses[];
extern const size_t mlv_triage_nstatuses;

const char *mlv_triage_kind_name(mlv_triage_kind kind);
/* The canonical status string, or NULL if `s` is none. */
const char *mlv_triage_status_name(const char *s);

/* Seals and stores one event by the editor who unlocked the vault. */
int mlv_triage_add(const mlv_vault *v, int64_t envelope, mlv_triage_kind kind, const char *value);

/* Opens the events of one envelope (envelope > 0) or all; `fn` returns
 * nonzero to stop. A damaged or moved event fails the whole call. */
int mlv_triage_each(const mlv_vault *v, int64_t envelope, int (*fn)(void *ctx, const mlv_triage_event *ev), void *ctx);

void mlv_triage_apply(mlv_triage_state *s, const mlv_triage_event *ev);
void mlv_triage_state_clear(mlv_triage_state *s);

/* States of envelopes 1..max_id, indexed by id; *out calloc'd. */
int mlv_triage_states(const mlv_vault *v, int64_t max_id, mlv_triage_state **out);

#endif
