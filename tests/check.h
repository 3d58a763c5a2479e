/*
 * The smallest test harness that does the job: CHECK records a failure
 * with its place and keeps going, so one run shows every broken claim;
 * check_exit() turns the tally into the exit status meson reads.
 */
#ifndef MALYAVA_TEST_CHECK_H
#define MALYAVA_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static unsigned check_failed_count;
static unsigned check_passed_count;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (cond) {                                                                     \
            check_passed_count++;                                                       \
        } else {                                                                        \
            check_failed_count++;                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
        }                                                                               \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                              \
    do {                                                                                \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                 \
        if (check_a_ == check_b_) {                                                     \
            check_passed_count++;                                                       \
        } else {                                                                        \
            check_failed_count++;                                                       \
            fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n", __FILE__, \
                    __LINE__, #a, #b, check_a_, check_b_);                              \
        }                                                                               \
    } while (0)

/* Call from main(): `return check_exit();` */
static inline int check_exit(void)
{
    fprintf(stderr, "%u checks passed, %u failed\n", check_passed_count, check_failed_count);
    return check_failed_count == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
