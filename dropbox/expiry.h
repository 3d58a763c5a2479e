/*
 * The manifest's expiry as the admin is told it: when (the log's days)
 * and in what words, with what to do. Pure functions of the days, so the
 * schedule is tested without a clock.
 */
#ifndef MALYAVA_DROPBOX_EXPIRY_H
#define MALYAVA_DROPBOX_EXPIRY_H

#include <stdint.h>

/* Room for the text with what to do. */
#define MLV_EXPIRY_MSG_BYTES 512u

/* The expiry as of `today` (the manifest's last valid day, past it, or
 * how many days are left) and what to do, naming `data_dir`. */
void mlv_expiry_text(char msg[MLV_EXPIRY_MSG_BYTES], uint64_t serial, int64_t expires_day, int64_t today,
                     const char *data_dir);

/*
 * Whether the log warns today: with `at_start` (the server starting or
 * reloading) on any day from MLV_SRV_MANIFEST_WARN_DAYS before the last
 * valid day; otherwise (the daily tick) on exactly that day,
 * MLV_SRV_MANIFEST_URGENT_DAYS before, 1 day before, the last day, and
 * every day past it. 1 with the text in `msg`, else 0.
 */
int mlv_expiry_notice(char msg[MLV_EXPIRY_MSG_BYTES], uint64_t serial, int64_t expires_day, int64_t today,
                      int at_start, const char *data_dir);

#endif
