/*
 * Runs mlv_img_inspect_fd / mlv_img_strip_fd over bytes in memory, the
 * input given as a seekable memfd or as a pipe fed by a child process
 * (so both the lseek and the read-through paths run).
 */
#ifndef MALYAVA_TEST_IMGIO_H
#define MALYAVA_TEST_IMGIO_H

#include <malyava/imagemeta.h>

#include "imgbuild.h"

typedef enum imgio_input { IMGIO_MEMFD, IMGIO_PIPE } imgio_input;

/* Inspects `in` (out == NULL) or strips it into *out (replaced). */
mlv_img_status imgio_run(const uint8_t *in, size_t len, imgio_input how, imgb *out, mlv_img_report *r);

#endif
