/* See proc.h. */
#include <malyava/proc.h>

#include <sys/prctl.h>
#include <sys/resource.h>

int mlv_proc_no_core_dumps(void)
{
    const struct rlimit none = { 0, 0 };

    /* Both: the limit covers a core written by the kernel; non-dumpable
     * also closes /proc/PID/mem and ptrace to the same user's processes,
     * and survives a later attempt to raise the limit. */
    if (setrlimit(RLIMIT_CORE, &none) != 0)
        return -1;
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
