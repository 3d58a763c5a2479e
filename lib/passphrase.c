/* Passphrases from the terminal or a file: see passphrase.h. */
#include <malyava/passphrase.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/limits.h>

/* Room for the longest passphrase, its line end and one byte more, which
 * tells "too long" from "exactly the maximum". */
#define PASS_BUF_BYTES (MLV_MAX_PASSPHRASE_BYTES + 3u)

const char *mlv_pass_strerror(mlv_pass_status status)
{
    switch (status) {
    case MLV_PASS_OK:
        return "ok";
    case MLV_PASS_ERR_NO_TTY:
        return "there is no terminal to ask on. Run it from a terminal, or give --passphrase-file";
    case MLV_PASS_ERR_MISMATCH:
        return "the two passphrases differ. Type the same one twice";
    case MLV_PASS_ERR_TOO_SHORT:
        return "the passphrase is too short (at least 12 bytes). Choose a longer one, e.g. five random words";
    case MLV_PASS_ERR_TOO_LONG:
        return "the passphrase is longer than 1024 bytes. Check that the right file was named";
    case MLV_PASS_ERR_EMPTY:
        return "the passphrase is empty. Type one, or put it on the first line of the file";
    case MLV_PASS_ERR_IO:
        return "the passphrase file could not be read. Check its path and permissions";
    case MLV_PASS_ERR_SYSTEM:
        break;
    }
    return "out of memory or a terminal error. Try again";
}

void mlv_pass_free(char *pass)
{
    sodium_free(pass);
}

/* Cuts buf[0, n) at the first line end. TOO_LONG if no line fits. */
static mlv_pass_status first_line(char *buf, size_t n, size_t *len)
{
    char *nl = memchr(buf, '\n', n);
    size_t end = nl != NULL ? (size_t)(nl - buf) : n;

    if (end > 0 && buf[end - 1] == '\r')
        end--;
    if (end > MLV_MAX_PASSPHRASE_BYTES)
        return MLV_PASS_ERR_TOO_LONG;
    sodium_memzero(buf + end, PASS_BUF_BYTES - end);
    *len = end;
    return end == 0 ? MLV_PASS_ERR_EMPTY : MLV_PASS_OK;
}

static mlv_pass_status read_file(const char *path, char *buf, size_t *len)
{
    ssize_t n;
    int saved, fd = mlv_file_open_read(path);

    if (fd < 0)
        return MLV_PASS_ERR_IO;
    /* Only the first line matters; what follows it is never read. */
    n = mlv_file_read_full(fd, buf, PASS_BUF_BYTES - 1u);
    saved = errno;
    close(fd);
    if (n < 0) {
        errno = saved;
        return MLV_PASS_ERR_IO;
    }
    return first_line(buf, (size_t)n, len);
}

/*
 * The terminal whose echo is off, for the signal handler: a passphrase
 * prompt interrupted by ^C must not leave the admin's shell blind. ^Z is
 * left alone: the shell restores the terminal of a stopped job itself,
 * and turning echo on there would show the rest of the passphrase after
 * `fg`.
 */
static volatile sig_atomic_t tty_fd_for_signal = -1;
static struct termios tty_saved;
static const int restore_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NSIGNALS (sizeof restore_signals / sizeof restore_signals[0])

static void restore_and_reraise(int sig)
{
    int saved = errno;

    if (tty_fd_for_signal >= 0)
        tcsetattr(tty_fd_for_signal, TCSAFLUSH, &tty_saved);
    signal(sig, SIG_DFL);
    raise(sig);
    errno = saved;
}

/* Reads one line from the terminal, echo off. */
static mlv_pass_status ask(int fd, const char *prompt, char *buf, size_t *len)
{
    struct sigaction sa, old[NSIGNALS];
    struct termios quiet;
    size_t n = 0;
    mlv_pass_status st = MLV_PASS_ERR_SYSTEM;

    if (tcgetattr(fd, &tty_saved) != 0)
        return MLV_PASS_ERR_NO_TTY;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = restore_and_reraise;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSIGNALS; i++)
        sigaction(restore_signals[i], &sa, &old[i]);
    quiet = tty_saved;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
    quiet.c_lflag |= ECHONL;
    tty_fd_for_signal = fd;
    if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
        goto out;
    if (prompt == NULL)
        prompt = "Passphrase: ";
    if (mlv_file_write_all(fd, prompt, strlen(prompt)) != 0)
        goto out;
    /* Byte by byte, so nothing after the line is taken from the terminal. */
    while (n < PASS_BUF_BYTES - 1u) {
        ssize_t r = read(fd, buf + n, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto out;
        if (r == 0 || buf[n] == '\n') {
            if (r == 0)
                (void)mlv_file_write_all(fd, "\n", 1);
            break;
        }
        n++;
    }
    st = first_line(buf, n, len);
out:
    tcsetattr(fd, TCSAFLUSH, &tty_saved);
    tty_fd_for_signal = -1;
    for (size_t i = 0; i < NSIGNALS; i++)
        sigaction(restore_signals[i], &old[i], NULL);
    return st;
}

mlv_pass_status mlv_pass_read(const char *file, const char *prompt, int is_new, char **out, size_t *out_len)
{
    char *buf = sodium_malloc(PASS_BUF_BYTES), *again = NULL;
    size_t len = 0, again_len = 0;
    int fd = -1;
    mlv_pass_status st = MLV_PASS_ERR_SYSTEM;

    *out = NULL;
    *out_len = 0;
    if (buf == NULL)
        goto out;
    sodium_memzero(buf, PASS_BUF_BYTES);
    if (file != NULL) {
        st = read_file(file, buf, &len);
        goto out;
    }
    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        st = MLV_PASS_ERR_NO_TTY;
        goto out;
    }
    st = ask(fd, prompt, buf, &len);
    if (st != MLV_PASS_OK || !is_new)
        goto out;
    if (len < MLV_MIN_PASSPHRASE_BYTES) {
        st = MLV_PASS_ERR_TOO_SHORT;
        goto out;
    }
    st = MLV_PASS_ERR_SYSTEM;
    again = sodium_malloc(PASS_BUF_BYTES);
    if (again == NULL)
        goto out;
    sodium_memzero(again, PASS_BUF_BYTES);
    st = ask(fd, "Again, to confirm: ", again, &again_len);
    if (st == MLV_PASS_OK && (again_len != len || sodium_memcmp(again, buf, len) != 0))
        st = MLV_PASS_ERR_MISMATCH;
out:
    if (fd >= 0)
        close(fd);
    sodium_free(again);
    if (st == MLV_PASS_OK) {
        *out = buf;
        *out_len = len;
    } else {
        sodium_free(buf);
    }
    return st;
}
