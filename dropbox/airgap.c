/* See airgap.h. */
#include "airgap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>

#include "log.h"

/* "<32 hex> xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx" */
#define ACK_LINE_BYTES (2u * MLV_STORE_ID_BYTES + 1u + MLV_RECEIPT_STR_BYTES - 1u)

static int receipt_parse(const char *s, uint8_t out[MLV_RECEIPT_BYTES])
{
    char hex[2u * MLV_RECEIPT_BYTES];
    size_t j = 0;

    for (size_t i = 0; i < MLV_RECEIPT_STR_BYTES - 1u; i++) {
        if (i % 5u == 4u) {
            if (s[i] != '-')
                return -1;
        } else {
            if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                return -1;
            hex[j++] = s[i];
        }
    }
    return sodium_hex2bin(out, MLV_RECEIPT_BYTES, hex, sizeof hex, NULL, NULL, NULL) == 0 ? 0 : -1;
}

static int entry_cmp(const void *a, const void *b)
{
    return memcmp(((const mlv_ack_entry *)a)->id, ((const mlv_ack_entry *)b)->id, MLV_STORE_ID_HEX_BYTES);
}

int mlv_airgap_ack_parse(const char *text, size_t len, mlv_ack_entry **out, size_t *n, char *why, size_t why_size)
{
    const size_t magic_len = sizeof MLV_ACK_MAGIC - 1u;
    mlv_ack_entry *list = NULL, *sorted = NULL;
    size_t count, pos, line = 2;
    int rc = -1;

    *out = NULL;
    *n = 0;
    if (len < magic_len + 1u || memcmp(text, MLV_ACK_MAGIC "\n", magic_len + 1u) != 0) {
        snprintf(why, why_size, "it does not start with the line \"%s\"", MLV_ACK_MAGIC);
        return -1;
    }
    pos = magic_len + 1u;
    if ((len - pos) % (ACK_LINE_BYTES + 1u) != 0) {
        snprintf(why, why_size, "its lines are not all \"<id> <receipt>\" ending in a newline");
        return -1;
    }
    count = (len - pos) / (ACK_LINE_BYTES + 1u);
    if (count > MLV_BUNDLE_MAX_SUBMISSIONS) {
        snprintf(why, why_size, "it has more than %u lines", MLV_BUNDLE_MAX_SUBMISSIONS);
        return -1;
    }
    list = calloc(count > 0 ? count : 1u, sizeof *list);
    sorted = calloc(count > 0 ? count : 1u, sizeof *sorted);
    if (list == NULL || sorted == NULL) {
        snprintf(why, why_size, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < count; i++, line++, pos += ACK_LINE_BYTES + 1u) {
        const char *l = text + pos;
        if (!mlv_store_id_valid(l, 2u * MLV_STORE_ID_BYTES) || l[2u * MLV_STORE_ID_BYTES] != ' ' ||
            receipt_parse(l + 2u * MLV_STORE_ID_BYTES + 1u, list[i].receipt) != 0 || l[ACK_LINE_BYTES] != '\n') {
            snprintf(why, why_size, "line %zu is not \"<32 hex id> <receipt>\"", line);
            goto out;
        }
        memcpy(list[i].id, l, 2u * MLV_STORE_ID_BYTES);
    }
    memcpy(sorted, list, count * sizeof *list);
    qsort(sorted, count, sizeof *sorted, entry_cmp);
    for (size_t i = 1; i < count; i++) {
        if (entry_cmp(&sorted[i - 1], &sorted[i]) == 0) {
            snprintf(why, why_size, "id %s appears more than once", sorted[i].id);
            goto out;
        }
    }
    *out = list;
    *n = count;
    list = NULL;
    rc = 0;
out:
    free(list);
    free(sorted);
    return rc;
}

/* Rows first, in one transaction, then files, then one directory fsync:
 * a file without a row is removed at the next start, while a row without
 * a file would be exported as lost. secure_delete zeroes the rows, and the
 * rollback journal is truncated at the commit (db.h). */
static int purge(mlv_db *db, const mlv_store *store, const char (*ids)[MLV_STORE_ID_HEX_BYTES], size_t n)
{
    char name[MLV_STORE_ID_HEX_BYTES + 8];
    int rc = 0;

    if (n == 0)
        return 0;
    if (mlv_db_submission_delete_many(db, ids, n) != MLV_DB_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s.env", ids[i]);
        if (unlinkat(store->envelopes_fd, name, 0) != 0 && errno != ENOENT && rc == 0) {
            mlv_log_msg("cannot remove a purged envelope (%s); it is removed at the next start", strerror(errno));
            rc = -1;
        }
    }
    if (mlv_file_sync_dir_fd(store->envelopes_fd) != 0)
        rc = -1;
    return rc;
}

int mlv_airgap_ack_apply(mlv_db *db, const mlv_store *store, const mlv_ack_entry *e, size_t n, uint64_t *purged,
                         uint64_t *unknown, mlv_airgap_unknown_fn on_unknown, void *ctx)
{
    char (*matched)[MLV_STORE_ID_HEX_BYTES] = calloc(n > 0 ? n : 1u, MLV_STORE_ID_HEX_BYTES);
    mlv_db_submission sub;
    mlv_db_status dst;
    size_t nmatched = 0;
    int rc = -1;

    *purged = *unknown = 0;
    if (matched == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        dst = mlv_db_submission_get(db, e[i].id, &sub);
        if (dst == MLV_DB_ERROR)
            goto out;
        if (dst == MLV_DB_NOT_FOUND || crypto_verify_16(sub.receipt, e[i].receipt) != 0) {
            (*unknown)++;
            if (on_unknown != NULL)
                on_unknown(ctx, &e[i]);
        } else {
            memcpy(matched[nmatched++], e[i].id, MLV_STORE_ID_HEX_BYTES);
        }
    }
    if (purge(db, store, (const char (*)[MLV_STORE_ID_HEX_BYTES])matched, nmatched) != 0)
        goto out;
    *purged = nmatched;
    rc = 0;
out:
    free(matched);
    return rc;
}

int mlv_airgap_retention_run(mlv_db *db, const mlv_store *store, const mlv_cfg *cfg, int64_t today,
                             mlv_airgap_retention *out)
{
    char (*ids)[MLV_STORE_ID_HEX_BYTES] = NULL;
    mlv_db_retention_report rep;
    int64_t old_before = today - (int64_t)cfg->retention_days;
    size_t n = 0;
    int rc = 0;

    memset(out, 0, sizeof *out);
    if (mlv_db_submission_ids_before(db, old_before, &ids, &n) != MLV_DB_OK)
        return -1;
    if (purge(db, store, (const char (*)[MLV_STORE_ID_HEX_BYTES])ids, n) != 0)
        rc = -1;
    else
        out->submissions = n;
    free(ids);
    if (mlv_db_retention(db, today - (int64_t)cfg->reply_account_days, old_before, &rep) != MLV_DB_OK)
        return -1;
    out->accounts = rep.accounts;
    out->replies = rep.replies;
    return rc;
}
