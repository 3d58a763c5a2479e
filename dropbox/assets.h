/*
 * The source's pages, built into the program (dropbox/embed_web.py makes
 * the table from dropbox/web/files.txt). Requests are answered by looking
 * a name up here; no request path ever reaches the file system.
 */
#ifndef MALYAVA_DROPBOX_ASSETS_H
#define MALYAVA_DROPBOX_ASSETS_H

#include <stddef.h>
#include <stdint.h>

typedef enum mlv_asset_kind {
    MLV_ASSET_TEMPLATE, /* a top-level *.html, rendered per request (render.h) */
    MLV_ASSET_LANGUAGE, /* i18n/<code>.json */
    MLV_ASSET_STATIC    /* served as is at /static/<name> */
} mlv_asset_kind;

typedef struct mlv_asset {
    const char *name; /* the path in files.txt */
    const char *type; /* Content-Type */
    mlv_asset_kind kind;
    const uint8_t *data;
    size_t len;
} mlv_asset;

extern const mlv_asset mlv_assets[];
extern const size_t mlv_assets_count;

/* The asset called exactly `name` of that kind, or NULL. */
const mlv_asset *mlv_asset_find(const char *name, mlv_asset_kind kind);

#endif
