/*
 * Days since 1970-01-01 UTC (manifest.h). Plain proleptic Gregorian
 * arithmetic (the civil-from-days algorithm published by Howard Hinnant),
 * so no time zone, locale or timegm() can move a date.
 */
#include <malyava/manifest.h>

#include <time.h>

#define SECONDS_PER_DAY 86400

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    return m == 2 && leap_year(y) ? 29u : days[m - 1];
}

int64_t mlv_day_from_time(int64_t unix_seconds)
{
    int64_t day = unix_seconds / SECONDS_PER_DAY;

    /* C division truncates toward zero; a day starts at its midnight. */
    if (unix_seconds % SECONDS_PER_DAY < 0)
        day--;
    return day;
}

int64_t mlv_day_today(void)
{
    return mlv_day_from_time((int64_t)time(NULL));
}

static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10u + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int mlv_day_parse(const char *s, size_t len, int64_t *day)
{
    unsigned y, m, d;

    if (len != 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) != 0 || digits(s + 5, 2, &m) != 0 ||
        digits(s + 8, 2, &d) != 0)
        return -1;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *day = days_from_civil(y, m, d);
    return 0;
}

void mlv_day_format(char out[11], int64_t day)
{
    static const char invalid[11] = "----------";
    int64_t y;
    unsigned m, d;

    if (day < 0 || day > MLV_DAY_MAX) {
        for (unsigned i = 0; i < 11; i++)
            out[i] = invalid[i];
        return;
    }
    civil_from_days(day, &y, &m, &d);
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}
