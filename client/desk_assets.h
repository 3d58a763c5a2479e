/*
 * The desk's pages, built into `malyava` from client/desk_web/ (listed in
 * its files.txt; made by dropbox/embed_web.py --name desk). Requests are
 * answered by looking a name up here; no request path reaches the file
 * system.
 */
#ifndef MALYAVA_CLIENT_DESK_ASSETS_H
#define MALYAVA_CLIENT_DESK_ASSETS_H

#include <stddef.h>
#include <stdint.h>

typedef enum mlv_desk_asset_kind {
    MLV_DESK_ASSET_TEMPLATE, /* a top-level *.html */
    MLV_DESK_ASSET_LANGUAGE, /* i18n/<code>.json */
    MLV_DESK_ASSET_STATIC
} mlv_desk_asset_kind;

typedef struct mlv_desk_asset {
    const char *name; /* the path in files.txt */
    const char *type; /* Content-Type */
    mlv_desk_asset_kind kind;
    const uint8_t *data;
    size_t len;
} mlv_desk_asset;

extern const mlv_desk_asset mlv_desk_assets[];
extern const size_t mlv_desk_assets_count;

/* The file called exactly `name`, or NULL. */
const mlv_desk_asset *mlv_desk_asset_find(const char *name);

#endif
