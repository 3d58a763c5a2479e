/* The desk's session state: see desk.h. */
#include "desk.h"

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "cli.h"
#include "desk_index.h"

uint64_t mlv_desk_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void mlv_desk_touch(mlv_desk *d)
{
    d->last_active_ms = mlv_desk_now_ms();
}

int mlv_desk_is_locked(const mlv_desk *d)
{
    return d->vault.vault_key == NULL || d->index == NULL;
}

void mlv_desk_lock(mlv_desk *d)
{
    int was_open = d->vault.vault_key != NULL;

    mlv_desk_index_free(d->index);
    d->index = NULL;
    mlv_vault_lock(&d->vault);
    if (was_open)
        fprintf(stderr, "malyava: desk locked: keys and decrypted texts wiped from memory\n");
    if (d->exit_on_lock)
        d->quit = 1;
}

/* Says when the index cannot all stay in locked memory. */
static void say_memory(const mlv_desk *d)
{
    struct rlimit rl;
    size_t bytes = mlv_desk_index_bytes(d->index);

    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && bytes > rl.rlim_cur)
        fprintf(stderr,
                "malyava: the index holds %.1f MB of decrypted text, but this system locks at most %.1f MB of a "
                "program's memory: the rest could be written to swap. Use encrypted swap or none, or raise "
                "the limit (ulimit -l).\n",
                (double)bytes / 1e6, (double)rl.rlim_cur / 1e6);
}

int mlv_desk_open_index(mlv_desk *d)
{
    int64_t changes = mlv_vdb_count(d->vault.db, MLV_VDB_COUNT_CHANGES);

    mlv_desk_index_free(d->index);
    if (changes < 0 || (d->index = mlv_desk_index_build(&d->vault)) == NULL) {
        mlv_desk_lock(d);
        return -1;
    }
    d->changes = changes;
    say_memory(d);
    return 0;
}

int mlv_desk_unlock(mlv_desk *d, const char *key, const char *pass, size_t pass_len)
{
    if (mlv_vault_unlock_with(&d->vault, key, pass, pass_len) != 0)
        return -1;
    return mlv_desk_open_index(d);
}

int mlv_desk_refresh(mlv_desk *d, int force)
{
    int64_t changes;

    if (mlv_desk_is_locked(d))
        return 0;
    changes = mlv_vdb_count(d->vault.db, MLV_VDB_COUNT_CHANGES);
    if (changes < 0)
        return -1;
    if (changes != d->changes) {
        /* Another process wrote: keys may have come or gone, envelopes
         * been rewrapped. Start again from the vault. */
        if (mlv_vault_reload_keys(&d->vault) != 0 || mlv_desk_open_index(d) != 0) {
            mlv_desk_lock(d);
            return -1;
        }
        return 0;
    }
    if (force && mlv_desk_index_catch_up(d->index, &d->vault) != 0) {
        mlv_desk_lock(d);
        return -1;
    }
    return 0;
}
