/*
 * The SQLite files that cross the air gap (docs/FORMAT.md §4): their
 * identities, shared by the server that writes export bundles and reads
 * replies bundles and the editors' tool that does the opposite. The schema
 * text and the checks live with each program's one SQLite file.
 */
#ifndef MALYAVA_BUNDLE_H
#define MALYAVA_BUNDLE_H

/* PRAGMA application_id: the four ASCII bytes, big-endian, as file(1) shows. */
#define MLV_BUNDLE_EXPORT_APP_ID 0x4D4C5642  /* 'MLVB' = 1296848450 */
#define MLV_BUNDLE_REPLIES_APP_ID 0x4D4C5652 /* 'MLVR' = 1296848466 */
/* PRAGMA user_version of both kinds. */
#define MLV_BUNDLE_VERSION 1

#endif
