/*
 * Days since 1970 (lib/day.c): known dates, leap-year rules, the strict
 * YYYY-MM-DD parser, and every day from 1970 to 9999 against a naive
 * calendar that counts one day at a time.
 */
#include <string.h>

#include <malyava/manifest.h>

#include "check.h"

static int64_t parse(const char *s)
{
    int64_t day = -12345;

    if (mlv_day_parse(s, strlen(s), &day) != 0)
        return -1;
    return day;
}

static int format_is(int64_t day, const char *want)
{
    char out[11];

    mlv_day_format(out, day);
    return strcmp(out, want) == 0;
}

static void known_days(void)
{
    CHECK_EQ_INT(parse("1970-01-01"), 0);
    CHECK_EQ_INT(parse("1970-01-02"), 1);
    CHECK_EQ_INT(parse("2000-03-01"), 11017);
    CHECK_EQ_INT(parse("2026-01-15"), 20468);
    CHECK_EQ_INT(parse("2100-03-01"), 47541);
    CHECK_EQ_INT(parse("9999-12-31"), MLV_DAY_MAX);
    CHECK(format_is(0, "1970-01-01"));
    CHECK(format_is(20468, "2026-01-15"));
    CHECK(format_is(MLV_DAY_MAX, "9999-12-31"));
    CHECK(format_is(-1, "----------"));
    CHECK(format_is(MLV_DAY_MAX + 1, "----------"));
}

static void leap_years(void)
{
    CHECK_EQ_INT(parse("2000-02-29"), 11016); /* divisible by 400 */
    CHECK_EQ_INT(parse("2024-02-29"), 19782);
    CHECK_EQ_INT(parse("2023-02-29"), -1);
    CHECK_EQ_INT(parse("2100-02-29"), -1); /* divisible by 100, not 400 */
    CHECK_EQ_INT(parse("2100-02-28") + 1, parse("2100-03-01"));
    CHECK_EQ_INT(parse("2400-02-29") + 1, parse("2400-03-01"));
}

static void strict_parse(void)
{
    static const char *const bad[] = {
        "", "2026-1-15", "2026-01-5", "2026-01-15 ", " 2026-01-15", "2026/01/15", "+026-01-15", "2026-00-10",
        "2026-13-01", "2026-01-00", "2026-01-32", "2026-04-31", "1969-12-31", "0000-01-01", "2026-01-1a",
        "20260115", "2026-01-15\n", "２026-01-15",
    };
    int64_t day;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i]) != -1)
            fprintf(stderr, "accepted '%s'\n", bad[i]);
        CHECK_EQ_INT(parse(bad[i]), -1);
    }
    /* The length is the caller's: no reading past it, no NUL needed. */
    CHECK(mlv_day_parse("2026-01-15XYZ", 10, &day) == 0 && day == 20468);
    CHECK(mlv_day_parse("2026-01-1", 9, &day) == -1);
}

static void from_time(void)
{
    CHECK_EQ_INT(mlv_day_from_time(0), 0);
    CHECK_EQ_INT(mlv_day_from_time(86399), 0);
    CHECK_EQ_INT(mlv_day_from_time(86400), 1);
    CHECK_EQ_INT(mlv_day_from_time(-1), -1);
    CHECK_EQ_INT(mlv_day_from_time(-86400), -1);
    CHECK_EQ_INT(mlv_day_from_time(-86401), -2);
    CHECK_EQ_INT(mlv_day_from_time(1768435200), 20468); /* 2026-01-15T00:00:00Z */
    CHECK(mlv_day_today() > 20000);
}

static int naive_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Every representable day, formatted and parsed back. */
static void every_day(void)
{
    static const unsigned month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    unsigned y = 1970, m = 1, d = 1, wrong = 0;

    for (int64_t day = 0; day <= MLV_DAY_MAX; day++) {
        char want[11], got[11];
        int64_t back = -1;

        want[0] = (char)('0' + y / 1000);
        want[1] = (char)('0' + y / 100 % 10);
        want[2] = (char)('0' + y / 10 % 10);
        want[3] = (char)('0' + y % 10);
        want[4] = '-';
        want[5] = (char)('0' + m / 10);
        want[6] = (char)('0' + m % 10);
        want[7] = '-';
        want[8] = (char)('0' + d / 10);
        want[9] = (char)('0' + d % 10);
        want[10] = '\0';
        mlv_day_format(got, day);
        if (memcmp(want, got, 11) != 0 || mlv_day_parse(want, 10, &back) != 0 || back != day) {
            if (wrong++ < 5)
                fprintf(stderr, "day %lld: want %s, got %s, parsed %lld\n", (long long)day, want, got,
                        (long long)back);
        }
        if (++d > month_days[m - 1] + (m == 2 && naive_leap(y))) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(y, 10000);
}

int main(void)
{
    known_days();
    leap_years();
    strict_parse();
    from_time();
    every_day();
    return check_exit();
}
