/*
 * File habits every Malyava program shares: never follow a symlink, never
 * overwrite by accident, create user-only, make durable before claiming
 * success. Functions return 0 or -1 with errno set.
 */
#ifndef MALYAVA_FILEIO_H
#define MALYAVA_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads a regular file of at most `max` bytes whole. *out is malloc'd with
 * a NUL after the data (so text can be parsed in place); EFBIG if larger. */
int mlv_file_read_small(const char *path, size_t max, uint8_t **out, size_t *out_len);
/* Opens a new file for writing: O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600.
 * Returns the descriptor or -1 (EEXIST if anything is there). */
int mlv_file_create(const char *path);
/* Like mlv_file_create relative to a directory descriptor. */
int mlv_file_create_at(int dir_fd, const char *name);
/* Opens an existing regular file read-only, refusing symlinks. */
int mlv_file_open_read(const char *path);
/* Writes all of buf, retrying on EINTR and short writes. */
int mlv_file_write_all(int fd, const void *buf, size_t len);
/* Reads up to len bytes, retrying until len or end of file; returns the
 * count read, or -1. */
ssize_t mlv_file_read_full(int fd, void *buf, size_t len);
/* Creates `path` (which must not exist), writes `buf`, fsyncs the file and
 * its directory. On failure nothing is left behind. */
int mlv_file_write_new(const char *path, const void *buf, size_t len);
/* Atomically replaces `path`: a 0600 temporary in the same directory,
 * fsync, rename over, fsync the directory. */
int mlv_file_replace(const char *path, const void *buf, size_t len);
/* fsync the directory that holds `path` (or `path` itself if a directory). */
int mlv_file_sync_parent(const char *path);
int mlv_file_sync_dir_fd(int dir_fd);

/* A SQLite "file:" URI for `path` with immutable=1: the reader takes no
 * lock and opens no journal, WAL or shm file next to a file it must not
 * trust or change (bundles from a USB stick). malloc'd; NULL if too long. */
char *mlv_file_immutable_uri(const char *path);

#endif
