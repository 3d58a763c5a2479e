/*
 * The server's only log: stderr, which systemd's journal timestamps. So it
 * carries startup, shutdown, configuration errors and internal failures,
 * never anything about one submission or one client.
 */
#ifndef MALYAVA_DROPBOX_LOG_H
#define MALYAVA_DROPBOX_LOG_H

/* Prints "malyava-dropbox: <message>\n" to stderr. */
void mlv_log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
