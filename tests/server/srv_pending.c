/*
 * The clocks of pending uploads (dropbox/pending.c) with the time in the
 * test's hand: an upload lives upload_expiry after its last byte, 15
 * minutes if it never got one; bytes restart the clock, nothing else
 * does; an id without a clock gets one at once; the sweep's list and the
 * eviction's choice (the oldest byteless upload, after a minute, never
 * one with bytes).
 */
#include <stdlib.h>
#include <string.h>

#include <malyava/limits.h>

#include "check.h"
#include "pending.h"

#define EXPIRY 3600
#define T0 1800000000

static const char A[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", B[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                  C[] = "cccccccccccccccccccccccccccccccc", D[] = "dddddddddddddddddddddddddddddddd";

static size_t expired(mlv_pending *t, int64_t now, const char *want)
{
    char (*ids)[MLV_STORE_ID_HEX_BYTES] = NULL;
    size_t n = mlv_pending_expired(t, now, &ids), hit = 0;

    for (size_t i = 0; i < n; i++)
        hit += want != NULL && strcmp(ids[i], want) == 0;
    free(ids);
    CHECK(want == NULL || hit == 1);
    return n;
}

int main(void)
{
    mlv_pending *t = mlv_pending_new(EXPIRY);
    char victim[MLV_STORE_ID_HEX_BYTES];

    CHECK(t != NULL);
    CHECK(mlv_pending_add(t, A, T0, 0) == 0 && mlv_pending_add(t, B, T0 + 10, 0) == 0);
    CHECK(mlv_pending_add(t, C, T0 + 20, 1) == 0);
    CHECK_EQ_INT(mlv_pending_deadline(t, A, T0, 0), T0 + MLV_SRV_UNSTARTED_EXPIRY_SECONDS);
    CHECK_EQ_INT(mlv_pending_deadline(t, C, T0, 1), T0 + 20 + EXPIRY);
    /* Bytes restart the clock; asking about it does not. */
    mlv_pending_touch(t, A, T0 + 100);
    CHECK_EQ_INT(mlv_pending_deadline(t, A, T0 + 500, 0), T0 + 100 + EXPIRY);
    CHECK_EQ_INT(mlv_pending_deadline(t, A, T0 + 900, 1), T0 + 100 + EXPIRY);
    /* An id without a clock gets one from now. */
    CHECK_EQ_INT(mlv_pending_deadline(t, D, T0 + 30, 1), T0 + 30 + EXPIRY);
    /* Eviction: byteless only (B), after a minute. */
    CHECK(mlv_pending_victim(t, T0 + 10 + MLV_SRV_EVICT_UNSTARTED_SECONDS - 1, victim) == -1);
    CHECK(mlv_pending_victim(t, T0 + 10 + MLV_SRV_EVICT_UNSTARTED_SECONDS, victim) == 0 && strcmp(victim, B) == 0);
    /* The sweep's list. */
    CHECK_EQ_INT(expired(t, T0 + MLV_SRV_UNSTARTED_EXPIRY_SECONDS, NULL), 0);
    CHECK_EQ_INT(expired(t, T0 + 10 + MLV_SRV_UNSTARTED_EXPIRY_SECONDS, B), 1);
    CHECK_EQ_INT(expired(t, T0 + 20 + EXPIRY, C), 2);
    CHECK_EQ_INT(expired(t, T0 + 100 + EXPIRY, NULL), 4);
    mlv_pending_remove(t, B);
    mlv_pending_remove(t, B);
    CHECK(mlv_pending_victim(t, T0 + 100000, victim) == -1);
    CHECK_EQ_INT(expired(t, T0 + 100 + EXPIRY, NULL), 3);
    mlv_pending_free(t);
    mlv_pending_free(NULL);
    return check_exit();
}
