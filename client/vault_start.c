/*
 * What every vault command shares (vault.h, "what every vault command
 * takes"): its options, which vault, opening and unlocking it, or
 * borrowing the desk's (mlv_vault_lend), and the testimony an ID names.
 */
#include "vault.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

const char *mlv_vault_path(const char *option)
{
    const char *path = option != NULL ? option : getenv("MALYAVA_VAULT");

    if (path == NULL || path[0] == '\0') {
        mlv_cli_error("which vault? give --vault PATH or set MALYAVA_VAULT");
        return NULL;
    }
    return path;
}

/* Who borrows the desk's vault now (mlv_vault_lend). */
static struct {
    mlv_vault *v;
    const char *client_vault_env;
    int refused;
} lease;

static int same_file(const char *path, const mlv_vault *v)
{
    struct stat st;

    return stat(path, &st) == 0 && (uint64_t)st.st_dev == v->file_dev && (uint64_t)st.st_ino == v->file_ino;
}

int mlv_vault_arg(int c, const char *arg, mlv_vault_args *a)
{
    switch (c) {
    case 'V': a->vault = arg; return 1;
    case 'K': a->key = arg; return 1;
    case 'P': a->pass_file = arg; return 1;
    default: return 0;
    }
}

void mlv_vault_lend(mlv_vault *v, const char *client_vault_env)
{
    lease.v = v;
    lease.client_vault_env = client_vault_env;
    lease.refused = 0;
}

int mlv_vault_lend_refused(void)
{
    return lease.refused;
}

/* The desk's vault, if the verb asks for it: see mlv_vault_lend. */
static int borrow(const mlv_vault_args *a, mlv_vault *v, int unlock)
{
    const char *path = a->vault != NULL ? a->vault : lease.client_vault_env;

    if (path == NULL || path[0] == '\0') {
        mlv_cli_error("which vault? give --vault PATH or set MALYAVA_VAULT");
        return -1;
    }
    if (!same_file(path, lease.v) || (unlock && lease.v->vault_key == NULL) ||
        (a->key != NULL && (lease.v->editor == NULL || strcmp(a->key, lease.v->editor) != 0))) {
        lease.refused = 1;
        return -1;
    }
    *v = *lease.v;
    v->lent = 1;
    return 0;
}

int mlv_vault_start(const mlv_vault_args *a, mlv_vault *v, int unlock)
{
    const char *path;

    memset(v, 0, sizeof *v);
    if (lease.v != NULL)
        return borrow(a, v, unlock);
    path = mlv_vault_path(a->vault);
    if (path == NULL || mlv_vault_open(path, v) != 0)
        return -1;
    if (unlock && mlv_vault_unlock(v, a->key, a->pass_file) != 0) {
        mlv_vault_close(v);
        return -1;
    }
    return 0;
}

/* The number an ID argument gives, or -1 after a message. */
static int64_t parse_id(const char *arg)
{
    char *end = NULL;
    long long id;

    errno = 0;
    id = arg[0] >= '0' && arg[0] <= '9' ? strtoll(arg, &end, 10) : 0;
    if (errno != 0 || end == arg || end == NULL || *end != '\0' || id <= 0) {
        mlv_cli_error("'%s' is not a testimony number; `malyava list` shows them", arg);
        return -1;
    }
    return id;
}

/* 0 with *e filled, or -1 after a message. */
static int fetch(const mlv_vault *v, int64_t id, int deleted_ok, mlv_vdb_env *e)
{
    mlv_vdb_status rc = mlv_vdb_env_get(v->db, id, e);

    if (rc == MLV_VDB_NOT_FOUND)
        mlv_cli_error("the vault has no testimony %lld; `malyava list` shows them", (long long)id);
    else if (rc != MLV_VDB_OK)
        mlv_cli_error("cannot read testimony %lld: %s", (long long)id, mlv_vdb_reason(v->db));
    else if (e->deleted && !deleted_ok)
        mlv_cli_error("testimony %lld was deleted; `malyava history %lld` says when and by whom", (long long)id,
                      (long long)id);
    else
        return 0;
    mlv_vdb_env_clear(e);
    return -1;
}

int mlv_vault_get_env(const mlv_vault *v, const char *arg, mlv_vdb_env *e)
{
    int64_t id = parse_id(arg);

    memset(e, 0, sizeof *e);
    return id > 0 ? fetch(v, id, 0, e) : -1;
}

int mlv_vault_check_id(const mlv_vault *v, const char *arg, int deleted_ok, int64_t *id)
{
    int64_t n = parse_id(arg);
    mlv_vdb_env e;

    memset(&e, 0, sizeof e);
    if (n <= 0 || fetch(v, n, deleted_ok, &e) != 0)
        return -1;
    mlv_vdb_env_clear(&e);
    if (id != NULL)
        *id = n;
    return 0;
}

int mlv_vault_unlock_late(const mlv_vault_args *a, mlv_vault *v)
{
    if (v->lent) {
        if (v->vault_key != NULL)
            return 0;
        mlv_cli_error("the desk is locked; unlock it first");
        return -1;
    }
    return mlv_vault_unlock(v, a->key, a->pass_file);
}

int mlv_vault_start_batch(const mlv_vault_args *a, mlv_vault *v, const char *arg, int64_t **ids, size_t *n)
{
    int rc = 1;

    memset(v, 0, sizeof *v);
    if (mlv_cli_parse_ids(arg, ids, n) != 0)
        return 2;
    if (mlv_vault_start(a, v, 0) != 0)
        goto fail;
    /* Every number names a testimony, before any passphrase is asked. */
    for (size_t i = 0; i < *n; i++) {
        char num[24];

        snprintf(num, sizeof num, "%lld", (long long)(*ids)[i]);
        if (mlv_vault_check_id(v, num, 0, NULL) != 0) {
            rc = 2;
            goto fail;
        }
    }
    if (mlv_vault_unlock_late(a, v) == 0)
        return 0;
fail:
    mlv_vault_close(v);
    free(*ids);
    *ids = NULL;
    *n = 0;
    return rc;
}
