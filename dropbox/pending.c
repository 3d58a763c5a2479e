/* See pending.h. */
#include "pending.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <malyava/limits.h>

/*
 * A plain array searched from end to end: it holds at most
 * max_pending_uploads entries (1,024 by default), each lookup is a few
 * microseconds, and nothing here is kept longer than the upload.
 */
typedef struct clock_entry {
    char id[MLV_STORE_ID_HEX_BYTES];
    int64_t last; /* last byte received, or creation while none */
    int started;
} clock_entry;

struct mlv_pending {
    pthread_mutex_t lock;
    int64_t expiry_seconds;
    clock_entry *e;
    size_t n, cap;
};

mlv_pending *mlv_pending_new(int64_t expiry_seconds)
{
    mlv_pending *t = calloc(1, sizeof *t);

    if (t == NULL)
        return NULL;
    pthread_mutex_init(&t->lock, NULL);
    t->expiry_seconds = expiry_seconds;
    return t;
}

void mlv_pending_free(mlv_pending *t)
{
    if (t == NULL)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t->e);
    free(t);
}

static clock_entry *find(mlv_pending *t, const char *id)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->e[i].id, id) == 0)
            return &t->e[i];
    }
    return NULL;
}

/* Under the lock. */
static clock_entry *add_locked(mlv_pending *t, const char *id, int64_t now, int started)
{
    clock_entry *c = find(t, id);

    if (c == NULL) {
        if (t->n == t->cap) {
            size_t ncap = t->cap == 0 ? 64 : t->cap * 2u;
            clock_entry *grown = reallocarray(t->e, ncap, sizeof *grown);
            if (grown == NULL)
                return NULL;
            t->e = grown;
            t->cap = ncap;
        }
        c = &t->e[t->n++];
        memset(c, 0, sizeof *c);
        memcpy(c->id, id, strnlen(id, MLV_STORE_ID_HEX_BYTES - 1u));
    }
    c->last = now;
    c->started = started;
    return c;
}

int mlv_pending_add(mlv_pending *t, const char *id, int64_t now, int started)
{
    int rc;

    pthread_mutex_lock(&t->lock);
    rc = add_locked(t, id, now, started) != NULL ? 0 : -1;
    pthread_mutex_unlock(&t->lock);
    return rc;
}

void mlv_pending_touch(mlv_pending *t, const char *id, int64_t now)
{
    pthread_mutex_lock(&t->lock);
    add_locked(t, id, now, 1);
    pthread_mutex_unlock(&t->lock);
}

void mlv_pending_remove(mlv_pending *t, const char *id)
{
    clock_entry *c;

    pthread_mutex_lock(&t->lock);
    c = find(t, id);
    if (c != NULL)
        *c = t->e[--t->n];
    pthread_mutex_unlock(&t->lock);
}

static int64_t deadline_of(const mlv_pending *t, const clock_entry *c)
{
    return c->last + (c->started ? t->expiry_seconds : (int64_t)MLV_SRV_UNSTARTED_EXPIRY_SECONDS);
}

int64_t mlv_pending_deadline(mlv_pending *t, const char *id, int64_t now, int started)
{
    clock_entry *c;
    int64_t d;

    pthread_mutex_lock(&t->lock);
    c = find(t, id);
    if (c == NULL)
        c = add_locked(t, id, now, started);
    /* Out of memory: a clock started now is what it would have got. */
    d = c != NULL ? deadline_of(t, c) : now + (started ? t->expiry_seconds : (int64_t)MLV_SRV_UNSTARTED_EXPIRY_SECONDS);
    pthread_mutex_unlock(&t->lock);
    return d;
}

size_t mlv_pending_expired(mlv_pending *t, int64_t now, char (**out)[MLV_STORE_ID_HEX_BYTES])
{
    size_t k = 0;

    *out = NULL;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        if (deadline_of(t, &t->e[i]) > now)
            continue;
        if (*out == NULL && (*out = calloc(t->n, sizeof **out)) == NULL)
            break;
        memcpy((*out)[k++], t->e[i].id, MLV_STORE_ID_HEX_BYTES);
    }
    pthread_mutex_unlock(&t->lock);
    return k;
}

int mlv_pending_victim(mlv_pending *t, int64_t now, char out[MLV_STORE_ID_HEX_BYTES])
{
    const clock_entry *best = NULL;
    int rc = -1;

    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        const clock_entry *c = &t->e[i];

        if (!c->started && now - c->last >= (int64_t)MLV_SRV_EVICT_UNSTARTED_SECONDS &&
            (best == NULL || c->last < best->last))
            best = c;
    }
    if (best != NULL) {
        memcpy(out, best->id, MLV_STORE_ID_HEX_BYTES);
        rc = 0;
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}
