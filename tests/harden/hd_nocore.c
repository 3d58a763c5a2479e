/*
 * mlv_proc_no_core_dumps, as every program calls it first: afterwards
 * the process is not dumpable and its core limit is 0, soft and hard, so
 * nothing can raise it again. In a sanitizer build the process stays
 * dumpable (see lib/proc.c), so only the limit is checked there.
 */
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <malyava/proc.h>

#if defined(__SANITIZE_ADDRESS__)
#define NOCORE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOCORE_SANITIZED 1
#endif
#endif
#ifdef NOCORE_SANITIZED
#define WANT_DUMPABLE 1
#else
#define WANT_DUMPABLE 0
#endif

int main(void)
{
    struct rlimit rl;
    const struct rlimit more = { RLIM_INFINITY, RLIM_INFINITY };
    int failed = 0;

    if (mlv_proc_no_core_dumps() != 0) {
        perror("mlv_proc_no_core_dumps");
        return 1;
    }
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != WANT_DUMPABLE) {
        fprintf(stderr, "FAIL: the process is %sdumpable\n", WANT_DUMPABLE ? "not " : "still ");
        failed = 1;
    }
    if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0) {
        fprintf(stderr, "FAIL: RLIMIT_CORE is not 0/0\n");
        failed = 1;
    }
    /* Raising the hard limit back needs CAP_SYS_RESOURCE; as root it
     * succeeds, and the process is still not dumpable. */
    if (setrlimit(RLIMIT_CORE, &more) == 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != WANT_DUMPABLE) {
        fprintf(stderr, "FAIL: raising the core limit made the process dumpable\n");
        failed = 1;
    }
    if (!failed)
        fprintf(stderr, "no core dumps: RLIMIT_CORE 0/0, %s\n", WANT_DUMPABLE ? "dumpable (sanitizer build)" : "not dumpable");
    return failed;
}
