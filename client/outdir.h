/* Writing an opened envelope into a directory: see outdir.c. */
#ifndef MALYAVA_CLIENT_OUTDIR_H
#define MALYAVA_CLIENT_OUTDIR_H

#include <stddef.h>

#include <malyava/payload.h>

typedef struct mlv_outdir mlv_outdir;

/* Creates (0700) or opens `dir`; prints the problem and returns NULL. */
mlv_outdir *mlv_outdir_new(const char *dir);
/* Payload opener callbacks; their context is the mlv_outdir. */
extern const mlv_pay_callbacks mlv_outdir_callbacks;
/* After the FINAL chunk: gives every file its real name, or none. */
int mlv_outdir_publish(mlv_outdir *o);
/* What was written: message.txt, metadata.json, files/NAME with digests. */
void mlv_outdir_summary(const mlv_outdir *o, int server_sealed, const char *dir, const char *receipt);
/* Removes the temporaries unless `published`, and frees. */
void mlv_outdir_free(mlv_outdir *o, int published);

const mlv_metadata *mlv_outdir_meta(const mlv_outdir *o);
int mlv_outdir_files_fd(const mlv_outdir *o); /* -1 when there are no files */
const char *mlv_outdir_file_name(const mlv_outdir *o, size_t index);

/* A scratch file among the temporaries, to rewrite a published attachment
 * (extract --strip): create it (a descriptor, or -1 with errno), then put
 * it in place of attachment `index`, or drop it. */
int mlv_outdir_scratch_create(const mlv_outdir *o);
int mlv_outdir_scratch_publish(const mlv_outdir *o, size_t index);
void mlv_outdir_scratch_drop(const mlv_outdir *o);

#endif
