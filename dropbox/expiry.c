/* See expiry.h. */
#include "expiry.h"

#include <stdio.h>
#include <string.h>

#include <malyava/limits.h>
#include <malyava/manifest.h>

void mlv_expiry_text(char msg[MLV_EXPIRY_MSG_BYTES], uint64_t serial, int64_t expires_day, int64_t today,
                     const char *data_dir)
{
    static const char todo[] = "Sign a new manifest on the offline machine (malyava-keys manifest sign), carry it "
                               "here and run as the service user: malyava-dropbox install-manifest %s manifest; "
                               "then systemctl reload malyava-dropbox";
    int64_t left = expires_day - today;
    char day[11], what[160];
    size_t n;

    mlv_day_format(day, expires_day);
    if (left < 0)
        snprintf(what, sizeof what, "manifest serial %llu EXPIRED after %s: every upload is refused (503). ",
                 (unsigned long long)serial, day);
    else if (left == 0)
        snprintf(what, sizeof what, "manifest serial %llu expires today (%s is its last valid day): from tomorrow "
                 "every upload is refused. ", (unsigned long long)serial, day);
    else
        snprintf(what, sizeof what, "manifest serial %llu expires in %lld day%s (last valid day %s): then every "
                 "upload is refused. ", (unsigned long long)serial, (long long)left, left == 1 ? "" : "s", day);
    n = strlen(what);
    memcpy(msg, what, n + 1u);
    snprintf(msg + n, MLV_EXPIRY_MSG_BYTES - n, todo, data_dir);
}

int mlv_expiry_notice(char msg[MLV_EXPIRY_MSG_BYTES], uint64_t serial, int64_t expires_day, int64_t today,
                      int at_start, const char *data_dir)
{
    int64_t left = expires_day - today;

    if (left > (int64_t)MLV_SRV_MANIFEST_WARN_DAYS)
        return 0;
    if (!at_start && left > 1 && left != (int64_t)MLV_SRV_MANIFEST_WARN_DAYS &&
        left != (int64_t)MLV_SRV_MANIFEST_URGENT_DAYS)
        return 0;
    mlv_expiry_text(msg, serial, expires_day, today, data_dir);
    return 1;
}
