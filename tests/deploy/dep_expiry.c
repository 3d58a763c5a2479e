/*
 * When the server's log speaks of the manifest's expiry (dropbox/expiry.c),
 * day by day without a clock: at start and on reload every day from 14
 * days before the last valid day; on the daily tick exactly 14, 7, 1 and 0
 * days before and every day after; never earlier. The words name the days
 * left, the last day, and what to do with the data directory in it.
 */
#include <string.h>

#include <malyava/limits.h>

#include "check.h"
#include "expiry.h"

int main(void)
{
    const int64_t expires = 20000; /* 2024-10-04 */
    char msg[MLV_EXPIRY_MSG_BYTES];

    for (int64_t left = 40; left >= -5; left--) {
        int daily = left == 14 || left == 7 || left == 1 || left == 0 || left < 0;

        memset(msg, 0, sizeof msg);
        CHECK_EQ_INT(mlv_expiry_notice(msg, 3, expires, expires - left, 0, "/srv/d"), daily);
        CHECK_EQ_INT(mlv_expiry_notice(msg, 3, expires, expires - left, 1, "/srv/d"), left <= 14);
        if (left > 14)
            continue;
        CHECK(strstr(msg, "manifest serial 3 ") == msg);
        CHECK(strstr(msg, "install-manifest /srv/d manifest") != NULL);
        CHECK(strstr(msg, "2024-10-04") != NULL);
        if (left == 14)
            CHECK(strstr(msg, "expires in 14 days (last valid day 2024-10-04)") != NULL);
        if (left == 1)
            CHECK(strstr(msg, "expires in 1 day (") != NULL);
        if (left == 0)
            CHECK(strstr(msg, "expires today") != NULL);
        if (left < 0)
            CHECK(strstr(msg, "EXPIRED after 2024-10-04") != NULL);
    }
    /* A long data directory is cut, never overrun. */
    {
        char dir[1000];

        memset(dir, 'd', sizeof dir - 1u);
        dir[sizeof dir - 1u] = '\0';
        CHECK_EQ_INT(mlv_expiry_notice(msg, 3, expires, expires, 0, dir), 1);
        CHECK(strlen(msg) == MLV_EXPIRY_MSG_BYTES - 1u);
    }
    return check_exit();
}
