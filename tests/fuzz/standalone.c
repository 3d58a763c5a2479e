/*
 * Replays a harness over files, for builds without libFuzzer: every
 * `meson test` runs each harness over its committed corpus and crash
 * regressions. Usage: fuzz_HARNESS PATH...  where each PATH is a file or
 * a directory of files (not recursive). A missing PATH is skipped, since
 * git keeps no empty directories; finding no input at all fails, so a
 * broken corpus path cannot pass unnoticed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <malyava/fileio.h>

#include "fuzz.h"

/* Far above any corpus file (64 KiB) or libFuzzer crash input. */
#define STANDALONE_MAX_INPUT (64u * 1024u * 1024u)

static int run_file(const char *path, unsigned *count)
{
    uint8_t *data = NULL, *exact;
    size_t len = 0;
    struct stat st;

    /* The reader allocates its limit up front: give it the file's size, or
     * every input costs 64 MiB (and a 64 MiB fill under MALLOC_PERTURB_,
     * which meson sets: minutes for a corpus of a few hundred files). */
    if (stat(path, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > STANDALONE_MAX_INPUT ||
        mlv_file_read_small(path, (size_t)st.st_size, &data, &len) != 0) {
        fprintf(stderr, "fuzz: cannot read input '%s': %s\n", path, strerror(errno));
        return -1;
    }
    /* Exactly `len` bytes, as libFuzzer gives them: the NUL the reader
     * appends would hide a one-byte overread from the sanitizers. */
    exact = malloc(len > 0 ? len : 1);
    if (exact == NULL) {
        free(data);
        fprintf(stderr, "fuzz: out of memory for '%s'\n", path);
        return -1;
    }
    memcpy(exact, data, len);
    free(data);
    fprintf(stderr, "fuzz: running %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    (*count)++;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, so a failure names the same first file on every machine. */
static int run_dir(const char *dir, unsigned *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL, path[4096];
    size_t n = 0, cap = 0;
    int rc = -1;

    if (d == NULL) {
        fprintf(stderr, "fuzz: cannot open directory '%s': %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **p = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);

            if (p == NULL)
                goto out;
            names = p;
        }
        if ((names[n] = strdup(e->d_name)) == NULL)
            goto out;
        n++;
    }
    if (n > 0)
        qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path) {
            fprintf(stderr, "fuzz: path too long under '%s'\n", dir);
            goto out;
        }
        if (run_file(path, count) != 0)
            goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned count = 0;
    struct stat st;

    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz: skipping '%s': %s\n", argv[i], strerror(errno));
            continue;
        }
        if ((S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) : run_file(argv[i], &count)) != 0)
            return 1;
    }
    if (count == 0) {
        fprintf(stderr, "fuzz: no input found in any given path; run tests/fuzz/make-corpus\n");
        return 1;
    }
    fprintf(stderr, "fuzz: %u inputs ran clean\n", count);
    return 0;
}
