/* See trust.h. */
#include "trust.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <malyava/fileio.h>

#include "log.h"

typedef struct trust_state {
    mlv_manifest current;
    char *text, *sig;
    size_t text_len, sig_len;
    int has_previous;
    mlv_manifest previous;
    int64_t replaced_day;
    uint64_t grace_days;
} trust_state;

struct mlv_trust {
    pthread_rwlock_t lock;
    mlv_org_public org;
    char *org_text;
    size_t org_len;
    trust_state *state;
};

mlv_man_status mlv_trust_verify(const char *text, size_t text_len, const char *sig, size_t sig_len,
                                const mlv_org_public *org, int64_t today, int allow_expired,
                                uint64_t min_serial, mlv_manifest *out)
{
    mlv_man_status st;

    if (allow_expired) {
        /* Verify as of a day the manifest claims to be valid; the dates
         * themselves are the caller's business then. */
        st = mlv_man_parse(text, text_len, out);
        if (st != MLV_MAN_OK)
            return st;
        if (today > out->expires_day)
            today = out->expires_day;
    }
    return mlv_man_verify(text, text_len, sig, sig_len, org, today, min_serial, out);
}

static void state_free(trust_state *s)
{
    if (s == NULL)
        return;
    free(s->text);
    free(s->sig);
    free(s);
}

static trust_state *state_load(const mlv_org_public *org, mlv_db *db, int64_t today, uint64_t grace_days)
{
    trust_state *s = calloc(1, sizeof *s);
    mlv_db_manifest cur, prev;
    mlv_db_status dst;
    mlv_man_status st;

    memset(&cur, 0, sizeof cur);
    memset(&prev, 0, sizeof prev);
    if (s == NULL)
        goto fail;
    s->grace_days = grace_days;
    dst = mlv_db_manifest_get(db, MLV_DB_CURRENT, &cur);
    if (dst != MLV_DB_OK) {
        if (dst == MLV_DB_NOT_FOUND)
            mlv_log_msg("no manifest is installed; run `malyava-dropbox install-manifest DATA_DIR FILE`");
        goto fail;
    }
    st = mlv_trust_verify(cur.text, cur.text_len, cur.sig, cur.sig_len, org, today, 1, 0, &s->current);
    if (st != MLV_MAN_OK) {
        mlv_log_msg("the installed manifest does not verify against org.pub: %s; install a good one with "
                    "install-manifest", mlv_man_strerror(st));
        goto fail;
    }
    if (s->current.serial != cur.serial) {
        mlv_log_msg("the installed manifest's serial differs from its database record; reinstall it");
        goto fail;
    }
    if (today > s->current.expires_day)
        mlv_log_msg("the manifest (serial %llu) has expired; uploads are refused until a new one is "
                    "installed with `malyava-dropbox install-manifest`",
                    (unsigned long long)s->current.serial);
    s->text = cur.text;
    s->text_len = cur.text_len;
    s->sig = cur.sig;
    s->sig_len = cur.sig_len;
    cur.text = cur.sig = NULL;
    dst = mlv_db_manifest_get(db, MLV_DB_PREVIOUS, &prev);
    if (dst == MLV_DB_OK) {
        st = mlv_trust_verify(prev.text, prev.text_len, prev.sig, prev.sig_len, org, today, 1, 0, &s->previous);
        if (st == MLV_MAN_OK) {
            s->has_previous = 1;
            s->replaced_day = prev.replaced_day;
        } else {
            mlv_log_msg("the previous manifest does not verify (%s); envelopes sealed to it are refused",
                        mlv_man_strerror(st));
        }
    } else if (dst != MLV_DB_NOT_FOUND) {
        goto fail;
    }
    mlv_db_manifest_clear(&prev);
    return s;
fail:
    mlv_db_manifest_clear(&cur);
    mlv_db_manifest_clear(&prev);
    state_free(s);
    return NULL;
}

int mlv_trust_load(mlv_trust **out, const char *org_key_path, mlv_db *db, int64_t today, uint64_t grace_days)
{
    mlv_trust *t = calloc(1, sizeof *t);
    uint8_t *text = NULL;
    mlv_man_status st;

    *out = NULL;
    if (t == NULL)
        return -1;
    pthread_rwlock_init(&t->lock, NULL);
    if (mlv_file_read_small(org_key_path, MLV_MAX_SMALL_FILE_BYTES, &text, &t->org_len) != 0) {
        mlv_log_msg("cannot read the organisation key '%s': %s", org_key_path, strerror(errno));
        goto fail;
    }
    t->org_text = (char *)text;
    st = mlv_org_public_parse(t->org_text, t->org_len, &t->org);
    if (st != MLV_MAN_OK) {
        mlv_log_msg("'%s' is not an organisation public key: %s", org_key_path, mlv_man_strerror(st));
        goto fail;
    }
    t->state = state_load(&t->org, db, today, grace_days);
    if (t->state == NULL)
        goto fail;
    *out = t;
    return 0;
fail:
    mlv_trust_free(t);
    return -1;
}

int mlv_trust_reload(mlv_trust *t, mlv_db *db, int64_t today, uint64_t grace_days)
{
    trust_state *fresh = state_load(&t->org, db, today, grace_days), *old;

    if (fresh == NULL)
        return -1;
    pthread_rwlock_wrlock(&t->lock);
    old = t->state;
    t->state = fresh;
    pthread_rwlock_unlock(&t->lock);
    state_free(old);
    return 0;
}

void mlv_trust_free(mlv_trust *t)
{
    if (t == NULL)
        return;
    state_free(t->state);
    free(t->org_text);
    pthread_rwlock_destroy(&t->lock);
    free(t);
}

mlv_trust_status mlv_trust_uploads_open(mlv_trust *t, int64_t today)
{
    mlv_trust_status rc;

    pthread_rwlock_rdlock(&t->lock);
    rc = today > t->state->current.expires_day ? MLV_TRUST_EXPIRED : MLV_TRUST_OK;
    pthread_rwlock_unlock(&t->lock);
    return rc;
}

static int all_keys_in(const mlv_manifest *m, const mlv_env_header *h)
{
    if (h->nrecipients == 0 || h->nrecipients > MLV_MAX_RECIPIENTS)
        return 0;
    for (uint32_t i = 0; i < h->nrecipients; i++) {
        if (mlv_man_find(m, h->key_ids[i]) < 0)
            return 0;
    }
    return 1;
}

mlv_trust_status mlv_trust_check(mlv_trust *t, const mlv_env_header *h, int64_t today)
{
    const trust_state *s;
    mlv_trust_status rc = MLV_TRUST_UNKNOWN_KEY;

    pthread_rwlock_rdlock(&t->lock);
    s = t->state;
    if (today > s->current.expires_day) {
        rc = MLV_TRUST_EXPIRED;
    } else if (all_keys_in(&s->current, h)) {
        rc = MLV_TRUST_OK;
    } else if (s->has_previous && all_keys_in(&s->previous, h)) {
        /* Days are counted from the replacement day: with 7, the day of
         * the install and the six after it. */
        int in_grace = today >= s->replaced_day && (uint64_t)(today - s->replaced_day) < s->grace_days;
        rc = in_grace ? MLV_TRUST_OK : MLV_TRUST_RETIRED_KEY;
    }
    pthread_rwlock_unlock(&t->lock);
    return rc;
}

int mlv_trust_copy(mlv_trust *t, mlv_trust_file which, char **out, size_t *out_len)
{
    const char *src;
    size_t len;
    int rc = -1;

    pthread_rwlock_rdlock(&t->lock);
    switch (which) {
    case MLV_TRUST_MANIFEST:
        src = t->state->text;
        len = t->state->text_len;
        break;
    case MLV_TRUST_MANIFEST_SIG:
        src = t->state->sig;
        len = t->state->sig_len;
        break;
    default:
        src = t->org_text;
        len = t->org_len;
        break;
    }
    *out = malloc(len + 1u);
    if (*out != NULL) {
        memcpy(*out, src, len);
        (*out)[len] = '\0';
        *out_len = len;
        rc = 0;
    }
    pthread_rwlock_unlock(&t->lock);
    return rc;
}

void mlv_trust_current(mlv_trust *t, uint64_t *serial, int64_t *expires_day)
{
    pthread_rwlock_rdlock(&t->lock);
    *serial = t->state->current.serial;
    *expires_day = t->state->current.expires_day;
    pthread_rwlock_unlock(&t->lock);
}

uint64_t mlv_trust_grace(mlv_trust *t)
{
    uint64_t days;

    pthread_rwlock_rdlock(&t->lock);
    days = t->state->grace_days;
    pthread_rwlock_unlock(&t->lock);
    return days;
}

const mlv_org_public *mlv_trust_org(const mlv_trust *t)
{
    return &t->org;
}

mlv_trust_status mlv_trust_recipients(mlv_trust *t, int64_t today, mlv_box_public keys[MLV_MAX_MANIFEST_KEYS],
                                      size_t *n)
{
    mlv_trust_status rc = MLV_TRUST_EXPIRED;

    *n = 0;
    pthread_rwlock_rdlock(&t->lock);
    if (today <= t->state->current.expires_day) {
        *n = t->state->current.nkeys;
        memcpy(keys, t->state->current.keys, *n * sizeof keys[0]);
        rc = MLV_TRUST_OK;
    }
    pthread_rwlock_unlock(&t->lock);
    return rc;
}
