/*
 * The desk's routes (docs/DESK.md lists them) and what they share.
 * desk_routes.c checks every request at the gate and dispatches; the
 * handlers live by subject: desk_api_inbox.c (inbox, one testimony,
 * triage, deleting, previews), desk_api_work.c (import, extract, reply,
 * replies, report), desk_api_keys.c (keys, the backup).
 *
 * Answers are JSON whose text is escaped twice over: as JSON, and with
 * every <, > and & written \u003c, \u003e, \u0026, so that no answer,
 * whatever a testimony holds, contains markup even if something were to
 * read it as HTML. The pages then put text in with textContent only.
 */
#ifndef MALYAVA_CLIENT_DESK_ROUTES_H
#define MALYAVA_CLIENT_DESK_ROUTES_H

#include <jansson.h>

#include "desk.h"
#include "desk_req.h"
#include "desk_verb.h"

typedef void (*mlv_desk_route_fn)(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);

/* Answers with `body` (stolen) as JSON. */
void mlv_desk_reply_json(mlv_desk_resp *resp, unsigned status, json_t *body);
/* {"error": code, "detail": detail}: the page translates the code and
 * may show the detail (English, from the command line's messages). */
void mlv_desk_reply_error(mlv_desk_resp *resp, unsigned status, const char *code, const char *detail);
/* The answer for a form that did not parse. */
void mlv_desk_reply_form_error(mlv_desk_resp *resp, mlv_desk_form_status st, const char *why);
/* A verb's exit status and output: {"status": n, "out": ..., "err": ...}. */
json_t *mlv_desk_output_json(const mlv_desk_output *o);
/* Runs a verb for the page (desk_verb.h) and gives that JSON; NULL after
 * answering that it could not be run. */
json_t *mlv_desk_verb_json(mlv_desk *d, char **argv, mlv_desk_resp *resp);

/* A JSON string of UTF-8 text; JSON null for NULL or text that is not UTF-8. */
json_t *mlv_desk_text(const char *s);
/* "YYYY-MM-DD", or null for a negative day. */
json_t *mlv_desk_day(int64_t day);
/* Parses the body as a JSON form: 0, or -1 with the error answered. */
int mlv_desk_read_form(const mlv_desk_req *r, mlv_desk_resp *resp, unsigned allowed, unsigned required,
                  mlv_desk_form *f);
/* Runs `f` with stderr captured into *text (malloc'd, may be NULL):
 * for calls that explain a failure on stderr (unlock, key add). */
int mlv_desk_with_stderr(int (*f)(void *ctx), void *ctx, char **text);

void mlv_desk_api_inbox(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_testimony(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_triage(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_preview(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);

void mlv_desk_api_folder(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_import(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_extract(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_reply(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_replies(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_export_replies(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_report(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_report_svg(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);

void mlv_desk_api_keys(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_key_add(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_key_retire(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_key_rewrap(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_key_revoke(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_backup(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);
void mlv_desk_api_delete(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp);

#endif
