/*
 * The desk's work with files: finding a bundle on the USB stick and
 * importing it, extracting a testimony, replying and carrying replies
 * out, and the report. Whatever the command line does, the desk does by
 * running the same verb (desk_verb.h), so the two never drift apart.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "desk_index.h"
#include "desk_routes.h"
#include "report.h"

/* ---- folders ---------------------------------------------------------------- */

static int is_bundle_name(const char *name)
{
    size_t n = strlen(name);

    return (n > 7 && strcasecmp(name + n - 7, ".sqlite") == 0) || (n > 7 && strcasecmp(name + n - 7, ".bundle") == 0);
}

static int cmp_json_name(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
                  json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

static json_t *sorted(json_t *array)
{
    size_t n = json_array_size(array);
    json_t **items = calloc(n > 0 ? n : 1u, sizeof *items), *out = json_array();

    if (items == NULL)
        return out;
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(array, i);
    qsort(items, n, sizeof *items, cmp_json_name);
    for (size_t i = 0; i < n; i++)
        json_array_append(out, items[i]);
    free(items);
    json_decref(array);
    return out;
}

/* Where a USB stick or the editor's files usually are. */
static json_t *places(void)
{
    const char *home = getenv("HOME"), *user = getenv("USER");
    char path[PATH_MAX];
    json_t *a = json_array();
    struct stat st;

    if (home != NULL && home[0] == '/')
        json_array_append_new(a, mlv_desk_text(home));
    for (int i = 0; i < 2 && user != NULL; i++) {
        snprintf(path, sizeof path, i == 0 ? "/media/%s" : "/run/media/%s", user);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            json_array_append_new(a, mlv_desk_text(path));
    }
    return a;
}

/* The bundles (*.sqlite, *.bundle) and folders in a folder. Names come
 * from a USB stick: the page shows them as text; a name that is not
 * UTF-8 is counted, not shown. */
void mlv_desk_api_folder(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    const char *path = mlv_desk_arg(r, "path");
    json_t *dirs = json_array(), *files = json_array();
    size_t seen = 0, hidden = 0;
    struct dirent *de;
    DIR *dir;
    int fd;

    (void)d;
    if (path == NULL || path[0] == '\0')
        path = getenv("HOME") != NULL ? getenv("HOME") : "/";
    if (path[0] != '/' || strlen(path) >= PATH_MAX ||
        (fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || (dir = fdopendir(fd)) == NULL) {
        json_decref(dirs);
        json_decref(files);
        mlv_desk_reply_error(resp, 404, "no-folder", strerror(path[0] == '/' ? errno : EINVAL));
        return;
    }
    while ((de = readdir(dir)) != NULL && seen++ < MLV_DESK_MAX_FOLDER_ENTRIES) {
        struct stat st;
        json_t *name;

        if (de->d_name[0] == '.' || fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (!S_ISDIR(st.st_mode) && !(S_ISREG(st.st_mode) && is_bundle_name(de->d_name)))
            continue;
        if ((name = json_string(de->d_name)) == NULL) {
            hidden++;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            json_array_append_new(dirs, json_pack("{s:o}", "name", name));
        } else {
            char ack[NAME_MAX + 8];
            struct stat as;

            snprintf(ack, sizeof ack, "%s.ack", de->d_name);
            json_array_append_new(files, json_pack("{s:o, s:I, s:b}", "name", name, "size", (json_int_t)st.st_size,
                                                   "acked", fstatat(dirfd(dir), ack, &as, AT_SYMLINK_NOFOLLOW) == 0));
        }
    }
    closedir(dir);
    mlv_desk_reply_json(resp, 200, json_pack("{s:s, s:o, s:o, s:I, s:b, s:o}", "path", path, "dirs", sorted(dirs),
                                             "files", sorted(files), "hidden", (json_int_t)hidden, "more",
                                             seen > MLV_DESK_MAX_FOLDER_ENTRIES, "places", places()));
}

/* ---- verbs run for the page ----------------------------------------------------- */

static void run_verb(mlv_desk *d, char **argv, mlv_desk_resp *resp)
{
    json_t *body = mlv_desk_verb_json(d, argv, resp);

    if (body != NULL)
        mlv_desk_reply_json(resp, 200, body);
}

static json_t *import_counts(mlv_desk *d, char **argv)
{
    mlv_desk_output o;
    json_t *out = NULL;
    size_t added, present, refused, unreadable, total;

    if (mlv_desk_verb_capture(d, argv, &o) != 0)
        return NULL;
    out = mlv_desk_output_json(&o);
    /* The command's summary line, for the page to say in its language;
     * if its wording changes, the page shows the text as it is. */
    if (o.out != NULL &&
        sscanf(o.out, "imported %zu new, %zu already in the vault, %zu left out, %zu unreadable by this vault's keys "
                      "(of %zu)",
               &added, &present, &refused, &unreadable, &total) == 5)
        json_object_set_new(out, "counts",
                            json_pack("{s:I, s:I, s:I, s:I, s:I}", "added", (json_int_t)added, "present",
                                      (json_int_t)present, "refused", (json_int_t)refused, "unreadable",
                                      (json_int_t)unreadable, "total", (json_int_t)total));
    mlv_desk_output_clear(&o);
    return out;
}

void mlv_desk_api_import(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    char verb[] = "import", ack_opt[] = "--ack", accept[] = "--accept-dropbox", ack[PATH_MAX + 8];
    char *argv[6] = { verb, NULL };
    mlv_desk_form f;
    json_t *body;
    int i = 1;

    if (mlv_desk_read_form(r, resp, MLV_DESK_F_PATH | MLV_DESK_F_ACK | MLV_DESK_F_ACCEPT, MLV_DESK_F_PATH, &f) != 0)
        return;
    if (f.accept_dropbox)
        argv[i++] = accept;
    if (f.ack != NULL && f.ack[0] != '\0') {
        argv[i++] = ack_opt;
        argv[i++] = (char *)(uintptr_t)f.ack;
        snprintf(ack, sizeof ack, "%s", f.ack);
    } else {
        snprintf(ack, sizeof ack, "%s.ack", f.path);
    }
    argv[i++] = (char *)(uintptr_t)f.path;
    argv[i] = NULL;
    if ((body = import_counts(d, argv)) == NULL) {
        mlv_desk_form_clear(&f);
        mlv_desk_reply_error(resp, 500, "failed", "the import could not be run");
        return;
    }
    json_object_set_new(body, "ack", mlv_desk_text(ack));
    mlv_desk_form_clear(&f);
    mlv_desk_reply_json(resp, 200, body);
}

void mlv_desk_api_extract(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    char verb[] = "extract", strip[] = "--strip", out_opt[] = "-o", id[24];
    char *argv[7] = { verb, NULL };
    mlv_desk_form f;
    int i = 1;

    if (mlv_desk_read_form(r, resp, MLV_DESK_F_ID | MLV_DESK_F_PATH | MLV_DESK_F_STRIP, MLV_DESK_F_ID | MLV_DESK_F_PATH,
                      &f) != 0)
        return;
    snprintf(id, sizeof id, "%lld", (long long)f.id);
    if (f.strip)
        argv[i++] = strip;
    argv[i++] = id;
    argv[i++] = out_opt;
    argv[i++] = (char *)(uintptr_t)f.path;
    argv[i] = NULL;
    run_verb(d, argv, resp);
    mlv_desk_form_clear(&f);
}

void mlv_desk_api_reply(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    char verb[] = "reply", msg[] = "--message", id[24];
    char *argv[5] = { verb, id, msg, NULL, NULL };
    mlv_desk_form f;

    if (mlv_desk_read_form(r, resp, MLV_DESK_F_ID | MLV_DESK_F_TEXT, MLV_DESK_F_ID | MLV_DESK_F_TEXT, &f) != 0)
        return;
    snprintf(id, sizeof id, "%lld", (long long)f.id);
    argv[3] = (char *)(uintptr_t)f.text;
    run_verb(d, argv, resp);
    mlv_desk_form_clear(&f);
}

static json_t *waiting(mlv_desk *d)
{
    return json_pack("{s:I}", "waiting", (json_int_t)mlv_vdb_count(d->vault.db, MLV_VDB_COUNT_REPLIES_WAITING));
}

void mlv_desk_api_replies(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    (void)r;
    mlv_desk_reply_json(resp, 200, waiting(d));
}

void mlv_desk_api_export_replies(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    char verb[] = "export-replies", out_opt[] = "-o";
    char *argv[4] = { verb, out_opt, NULL, NULL };
    mlv_desk_form f;
    json_t *body;

    if (mlv_desk_read_form(r, resp, MLV_DESK_F_PATH, MLV_DESK_F_PATH, &f) != 0)
        return;
    argv[2] = (char *)(uintptr_t)f.path;
    body = mlv_desk_verb_json(d, argv, resp);
    mlv_desk_form_clear(&f);
    if (body == NULL)
        return;
    json_object_update_new(body, waiting(d));
    mlv_desk_reply_json(resp, 200, body);
}

/* ---- the report ------------------------------------------------------------------ */

static int build_report(mlv_desk *d, mlv_report *rep)
{
    size_t n = mlv_desk_index_count(d->index);
    const mlv_inbox_item **items = calloc(n > 0 ? n : 1u, sizeof *items);
    int rc;

    if (items == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        items[i] = &mlv_desk_index_at(d->index, i)->item;
    rc = mlv_report_build(items, n, rep);
    free(items);
    return rc;
}

static json_t *group_json(const mlv_report_group *g)
{
    json_t *a = json_array();

    for (size_t i = 0; i < g->n; i++)
        json_array_append_new(a, json_pack("{s:o, s:I}", "name", mlv_desk_text(g->items[i].name), "count",
                                           (json_int_t)g->items[i].count));
    return a;
}

void mlv_desk_api_report(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    mlv_report rep;

    (void)r;
    if (build_report(d, &rep) != 0) {
        mlv_desk_reply_error(resp, 500, "no-memory", "out of memory");
        return;
    }
    mlv_desk_reply_json(resp, 200, json_pack("{s:I, s:o, s:o, s:o}", "total", (json_int_t)rep.total, "by_status",
                                             group_json(&rep.by_status), "by_place", group_json(&rep.by_place),
                                             "by_month", group_json(&rep.by_month)));
    mlv_report_clear(&rep);
}

/* The chart `report --svg` writes, shown by the page as an image (an
 * image cannot run script, whatever its labels say). */
void mlv_desk_api_report_svg(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    mlv_report rep;
    char *svg = NULL;
    size_t len = 0;
    FILE *f;
    int rc;

    (void)r;
    if (build_report(d, &rep) != 0) {
        mlv_desk_reply_error(resp, 500, "no-memory", "out of memory");
        return;
    }
    f = open_memstream(&svg, &len);
    rc = f != NULL ? mlv_report_svg(f, &rep) : -1;
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    mlv_report_clear(&rep);
    if (rc != 0) {
        free(svg);
        mlv_desk_reply_error(resp, 500, "no-memory", "out of memory");
        return;
    }
    resp->status = 200;
    resp->type = "image/svg+xml";
    resp->body = (uint8_t *)svg;
    resp->len = len;
    resp->csp = "default-src 'none'; frame-ancestors 'none'; sandbox";
}
