/* See harden.h. */
#include "harden.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <unistd.h>

#include <seccomp.h>

#include "log.h"

/*
 * What serving needs after start-up, by name so the list reads the same
 * on every architecture (a name the architecture lacks is skipped).
 * Gathered by running every server test with `seccomp = 2` and reading
 * what it reported.
 */
static const char *const allowed[] = {
    /* files: uploads, envelopes, SQLite and its journal, manifests on SIGHUP */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "lseek", "close", "openat",
    "open", "newfstatat", "fstat", "stat", "lstat", "statx", "fstatfs", "statfs", "fsync", "fdatasync",
    "ftruncate", "fcntl", "unlinkat", "unlink", "renameat", "renameat2", "rename", "utimensat", "fchmod",
    "fchown", "getdents64", "readlink", "readlinkat", "access", "faccessat", "faccessat2", "getcwd",
    /* memory, including libsodium's guarded and locked pages */
    "mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "mlock", "munlock",
    /* threads, time, identity */
    "futex", "set_robust_list", "rseq", "sched_yield", "sched_getaffinity", "gettid", "getpid", "getuid",
    "geteuid", "getgid", "getegid", "clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep",
    "clock_nanosleep", "getrandom", "exit", "exit_group",
    /* the connections libmicrohttpd already listens for */
    "epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll", "select", "pselect6", "accept", "accept4",
    "recvfrom", "recvmsg", "sendto", "sendmsg", "sendfile", "shutdown", "setsockopt", "getsockopt",
    "getsockname", "getpeername", "eventfd2",
    /* signals: SIGHUP and SIGTERM waited for, abort() */
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "sigaltstack", "tgkill", "tkill",
};

/* Refused by killing the whole process, whatever the mode: there is no
 * legitimate use once serving, and each is a step of an exploit. */
static const char *const fatal[] = {
    "execve", "execveat", "socket", "socketpair", "connect", "bind", "listen", "fork", "vfork",
    "process_vm_readv", "process_vm_writev", "setuid", "setgid", "setreuid", "setregid",
    "setresuid", "setresgid", "mount", "umount2", "pivot_root", "chroot", "kexec_load", "init_module",
    "finit_module", "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define HARDEN_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define HARDEN_SANITIZED 1
#endif
#endif

#ifdef HARDEN_SANITIZED
/* The sanitizers' runtimes check for leaks at exit by tracing the
 * process from a helper thread; in those test builds only. */
static const char *const sanitizer_needs[] = {
    "clone", "clone3", "ptrace", "prctl", "wait4", "waitid", "prlimit64", "getrlimit", "mincore", "getppid",
    "kill", "pipe", "pipe2", "uname", "sched_setaffinity", "sysinfo",
    /* the tracer lists /proc/PID/task with the old getdents */
    "getdents",
};
#else
/* Tracing another process is fatal too, except where the sanitizers'
 * leak check needs it. */
static const char *const fatal_unsanitized[] = { "ptrace" };
#endif

/* REPORT mode: the call fails with EPERM and its number is logged, with
 * nothing but async-signal-safe calls. */
static void on_sigsys(int sig, siginfo_t *info, void *uc_void)
{
    static const char head[] = "malyava-dropbox: seccomp refused system call ";
    ucontext_t *uc = uc_void;
    char num[16], *p = num + sizeof num;
    unsigned n = (unsigned)info->si_syscall;

    (void)sig;
    *--p = '\n';
    do {
        *--p = (char)('0' + n % 10u);
        n /= 10u;
    } while (n > 0 && p > num);
    if (write(STDERR_FILENO, head, sizeof head - 1) < 0 || write(STDERR_FILENO, p, (size_t)(num + sizeof num - p)) < 0)
        return;
#if defined(__x86_64__)
    uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
    uc->uc_mcontext.regs[0] = (unsigned long long)-EPERM;
#else
    (void)uc;
#endif
}

static int add_all(scmp_filter_ctx ctx, uint32_t action, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);

        if (nr == __NR_SCMP_ERROR)
            continue;
        if (seccomp_rule_add(ctx, action, nr, 0) != 0) {
            mlv_log_msg("seccomp: cannot add a rule for %s", names[i]);
            return -1;
        }
    }
    return 0;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int mlv_harden_apply(mlv_harden_mode mode)
{
    scmp_filter_ctx ctx;
    int rc = -1;

    if (mode == MLV_HARDEN_OFF) {
        mlv_log_msg("seccomp is off (seccomp = 0): use this for debugging only");
        return 0;
    }
    if (mode == MLV_HARDEN_REPORT) {
        struct sigaction sa;

        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sigsys;
        sa.sa_flags = SA_SIGINFO;
        if (sigaction(SIGSYS, &sa, NULL) != 0) {
            mlv_log_msg("seccomp: cannot install the report handler: %s", strerror(errno));
            return -1;
        }
    }
    ctx = seccomp_init(mode == MLV_HARDEN_REPORT ? SCMP_ACT_TRAP : SCMP_ACT_ERRNO(EPERM));
    if (ctx == NULL) {
        mlv_log_msg("seccomp: cannot start a filter; set seccomp = 0 only to debug this kernel");
        return -1;
    }
    /* Every thread libmicrohttpd started gets the filter too. */
    if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0 ||
        add_all(ctx, SCMP_ACT_ALLOW, allowed, NELEM(allowed)) != 0 ||
#ifdef HARDEN_SANITIZED
        add_all(ctx, SCMP_ACT_ALLOW, sanitizer_needs, NELEM(sanitizer_needs)) != 0 ||
#else
        add_all(ctx, SCMP_ACT_KILL_PROCESS, fatal_unsanitized, NELEM(fatal_unsanitized)) != 0 ||
        /* libmicrohttpd's threads name themselves as they start, which
         * can be just after the filter: that and no other prctl. */
        seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)) != 0 ||
#endif
        add_all(ctx, SCMP_ACT_KILL_PROCESS, fatal, NELEM(fatal)) != 0)
        goto out;
    if (seccomp_load(ctx) != 0) {
        mlv_log_msg("seccomp: the kernel refused the filter; set seccomp = 0 only if it lacks seccomp");
        goto out;
    }
    rc = 0;
out:
    seccomp_release(ctx);
    return rc;
}

int mlv_harden_selftest(void)
{
    int fd;

    if (mlv_harden_apply(MLV_HARDEN_ON) != 0)
        return 1;
    printf("malyava-dropbox: filter on; socket(2) must now kill this process\n");
    fflush(stdout);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    fprintf(stderr, "malyava-dropbox: socket(2) returned %d (%s) under the filter\n", fd, strerror(errno));
    return 1;
}
