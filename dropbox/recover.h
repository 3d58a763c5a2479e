/*
 * Start-up recovery: brings files and rows back into agreement after any
 * stop, kill -9 or power loss, before the first request is served.
 */
#ifndef MALYAVA_DROPBOX_RECOVER_H
#define MALYAVA_DROPBOX_RECOVER_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

/* Repairs beyond the routine (cutting back, expiring), for the log. */
typedef struct mlv_recover_report {
    size_t strays; /* files without a row, temporaries: removed */
    size_t rows;   /* pending rows without a (long enough) file: dropped */
    size_t lost;   /* received rows whose envelope file is gone: dropped */
} mlv_recover_report;

/*
 * - envelopes/<id>.env with a received row: kept; with a pending row (the
 *   crash fell between rename and commit): moved back to uploads/; else
 *   removed, like any other file there.
 * - uploads/<id>.part with a live pending row: truncated to the committed
 *   offset, so bytes never acknowledged are never counted; expired or
 *   rowless ones and any other file are removed.
 * - rows whose file is gone are dropped (received ones are logged).
 * - temporaries an interrupted admin command or bundle request left in
 *   DATA_DIR go.
 */
int mlv_recover_run(mlv_srv *s, int64_t now, mlv_recover_report *out);

#endif
