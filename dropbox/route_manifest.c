/*
 * GET /manifest, /manifest.minisig, /org.pub: what a client needs to seal.
 * Clients check the manifest against an organisation key they already
 * pinned; /org.pub is for people comparing fingerprints, never a root of
 * trust.
 */
#include "http.h"

static enum MHD_Result serve_copy(mlv_http_req *r, mlv_trust_file which)
{
    char *body;
    size_t len;

    if (mlv_trust_copy(r->srv->trust, which, &body, &len) != 0)
        return mlv_http_fail(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory; try again later");
    return mlv_http_send(r, MHD_HTTP_OK,
                         mlv_http_response(body, len, MHD_RESPMEM_MUST_FREE, "text/plain; charset=utf-8"));
}

enum MHD_Result mlv_route_manifest(mlv_http_req *r, const char *data, size_t *data_size)
{
    (void)data;
    (void)data_size;
    return serve_copy(r, MLV_TRUST_MANIFEST);
}

enum MHD_Result mlv_route_manifest_sig(mlv_http_req *r, const char *data, size_t *data_size)
{
    (void)data;
    (void)data_size;
    return serve_copy(r, MLV_TRUST_MANIFEST_SIG);
}

enum MHD_Result mlv_route_org_key(mlv_http_req *r, const char *data, size_t *data_size)
{
    (void)data;
    (void)data_size;
    return serve_copy(r, MLV_TRUST_ORG_KEY);
}
