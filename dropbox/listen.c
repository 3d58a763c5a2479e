/* See listen.h. */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

/* 127.0.0.0/8, ::1, and 127.0.0.0/8 mapped into IPv6. */
static int is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
        return (ntohl(a4->sin_addr.s_addr) >> 24) == 127u;
    }
    if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127u);
    }
    return 0;
}

/* Is `spec` (already checked by the config parser) allowed? */
static int exposure_ok(const char *spec, uint64_t allowed, const char *setting, const char *allow_key,
                       const char *allow_flag, const char *risk)
{
    struct sockaddr_storage ss;
    socklen_t len;

    if (strcmp(spec, MLV_CFG_LISTEN_OFF) == 0 || allowed)
        return 1;
    if (mlv_cfg_listen_parse(spec, &ss, &len) == 0 && is_loopback(&ss))
        return 1;
    mlv_log_msg("refusing %s = %s: it is not a loopback address, so %s. Keep it on 127.0.0.1 and let Tor's "
                "onion service forward to it (docs/DEPLOY.md); if you really mean it, add --%s "
                "(or %s = 1 in DATA_DIR/config)",
                setting, spec, risk, allow_flag, allow_key);
    return 0;
}

int mlv_listen_check(const mlv_cfg *c)
{
    int ok = exposure_ok(c->listen, c->allow_public_listen, "listen", "allow_public_listen", "allow-public-listen",
                         "every network this host is on could reach the drop-box around Tor and learn where it "
                         "runs");

    ok &= exposure_ok(c->editors_listen, c->allow_public_editors_listen, "editors_listen",
                      "allow_public_editors_listen", "allow-public-editors-listen",
                      "the export token alone would guard the export and purge of every submission from every "
                      "network this host is on");
    /* One socket cannot be both: the editors' routes would be public. */
    if (strcmp(c->listen, c->editors_listen) == 0 && strcmp(strrchr(c->listen, ':'), ":0") != 0) {
        mlv_log_msg("refusing editors_listen = listen = %s: the editors' routes need a port of their own (default "
                    "%s), or editors_listen = off",
                    c->listen, MLV_CFG_DEFAULT_EDITORS_LISTEN);
        ok = 0;
    }
    return ok ? 0 : -1;
}

int mlv_listen_open(const char *spec, const char *setting, char url[MLV_LISTEN_URL_BYTES])
{
    struct sockaddr_storage ss;
    socklen_t len;
    char host[INET6_ADDRSTRLEN];
    int fd = -1, one = 1;

    if (mlv_cfg_listen_parse(spec, &ss, &len) != 0) {
        errno = EINVAL;
        goto fail;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        goto fail;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, SOMAXCONN) != 0)
        goto fail;
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        goto fail;
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof host);
        snprintf(url, MLV_LISTEN_URL_BYTES, "http://[%s]:%u/", host, (unsigned)ntohs(a6->sin6_port));
    } else {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a4->sin_addr, host, sizeof host);
        snprintf(url, MLV_LISTEN_URL_BYTES, "http://%s:%u/", host, (unsigned)ntohs(a4->sin_port));
    }
    return fd;
fail:
    mlv_log_msg("cannot listen on %s = %s: %s; pick a free port with --%s", setting, spec, strerror(errno),
                strcmp(setting, "listen") == 0 ? "listen" : "editors-listen");
    if (fd >= 0)
        close(fd);
    return -1;
}
