/* See proc.h. */
#include <malyava/proc.h>

#include <sys/prctl.h>
#include <sys/resource.h>

/* LeakSanitizer checks at exit from a helper that ptrace-attaches to the
 * process, which a non-dumpable process refuses: sanitizer builds (tests
 * only) keep the core limit at zero but stay dumpable. */
#if defined(__SANITIZE_ADDRESS__)
#define PROC_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROC_SANITIZED 1
#endif
#endif

int mlv_proc_no_core_dumps(void)
{
    const struct rlimit none = { 0, 0 };

    /* Both: the limit covers a core written by the kernel; non-dumpable
     * also closes /proc/PID/mem and ptrace to the same user's processes,
     * and survives a later attempt to raise the limit. */
    if (setrlimit(RLIMIT_CORE, &none) != 0)
        return -1;
#ifdef PROC_SANITIZED
    return 0;
#else
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}
