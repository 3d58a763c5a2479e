/*
 * Counts key derivations: preloaded (LD_PRELOAD) into `malyava`, it
 * appends a line to $MLV_KDF_COUNT_FILE for every crypto_pwhash call
 * (the Argon2id of a passphrase), then runs the real one. The desk test
 * uses it to show that a session of commands costs one unlock.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

typedef int (*pwhash_fn)(unsigned char *, unsigned long long, const char *, unsigned long long, const unsigned char *,
                         unsigned long long, size_t, int);

int crypto_pwhash(unsigned char *const out, unsigned long long outlen, const char *const passwd,
                  unsigned long long passwdlen, const unsigned char *const salt, unsigned long long opslimit,
                  size_t memlimit, int alg)
{
    void *sym = dlsym(RTLD_NEXT, "crypto_pwhash");
    const char *path = getenv("MLV_KDF_COUNT_FILE");
    pwhash_fn real;

    memcpy(&real, &sym, sizeof real);

    if (path != NULL) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

        if (fd >= 0) {
            if (write(fd, "kdf\n", 4) != 4)
                abort();
            close(fd);
        }
    }
    return real != NULL ? real(out, outlen, passwd, passwdlen, salt, opslimit, memlimit, alg) : -1;
}
