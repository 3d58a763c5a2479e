/* Image metadata calls over in-memory bytes: see imgio.h. */
#include "imgio.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <malyava/fileio.h>

static void imgio_die(const char *what)
{
    perror(what);
    abort();
}

static int imgio_memfd(const uint8_t *p, size_t n)
{
    int fd = memfd_create("imgio", MFD_CLOEXEC);

    if (fd < 0 || mlv_file_write_all(fd, p, n) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        imgio_die("imgio: memfd");
    return fd;
}

/* A pipe whose other end a child fills with `p` and closes. */
static int imgio_pipe(const uint8_t *p, size_t n, pid_t *child)
{
    int fds[2];

    if (pipe(fds) != 0 || (*child = fork()) < 0)
        imgio_die("imgio: pipe");
    if (*child == 0) {
        close(fds[0]);
        /* The reader may stop early on a malformed input. */
        signal(SIGPIPE, SIG_IGN);
        _exit(mlv_file_write_all(fds[1], p, n) == 0 || errno == EPIPE ? 0 : 1);
    }
    close(fds[1]);
    return fds[0];
}

mlv_img_status imgio_run(const uint8_t *in, size_t len, imgio_input how, imgb *out, mlv_img_report *r)
{
    pid_t child = -1;
    int in_fd = how == IMGIO_PIPE ? imgio_pipe(in, len, &child) : imgio_memfd(in, len);
    int out_fd = -1;
    mlv_img_status st;

    if (out == NULL) {
        st = mlv_img_inspect_fd(in_fd, r);
    } else {
        out_fd = imgio_memfd(NULL, 0);
        st = mlv_img_strip_fd(in_fd, out_fd, r);
        imgb_free(out);
        off_t end = lseek(out_fd, 0, SEEK_END);
        if (end < 0 || lseek(out_fd, 0, SEEK_SET) != 0)
            imgio_die("imgio: output size");
        out->data = malloc((size_t)end + 1u);
        if (out->data == NULL || mlv_file_read_full(out_fd, out->data, (size_t)end) != end)
            imgio_die("imgio: read output");
        out->len = out->cap = (size_t)end;
        close(out_fd);
    }
    close(in_fd);
    if (child > 0) {
        int status;

        while (waitpid(child, &status, 0) < 0)
            if (errno != EINTR)
                imgio_die("imgio: waitpid");
    }
    return st;
}
