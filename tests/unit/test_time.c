/* util/proc.c's UTC calendar: the same dates as glibc's gmtime, without its time zone loading. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/proc.h"

static void same_as_gmtime(int64_t t)
{
	struct time_utc u;
	struct tm tm;
	time_t tt = (time_t) t;
	time_utc(t, &u);
	cr_assert_not_null(gmtime_r(&tt, &tm));
	cr_assert(u.year == tm.tm_year + 1900 && u.month == tm.tm_mon + 1 && u.day == tm.tm_mday && u.hour == tm.tm_hour &&
		  u.minute == tm.tm_min && u.second == tm.tm_sec,
		  "%lld: %lld-%d-%d %d:%d:%d", (long long) t, (long long) u.year, u.month, u.day, u.hour, u.minute, u.second);
}

Test(time, utc_dates_match_gmtime)
{
	/* The epoch, leap days (2000 is a leap year, 2100 is not), year ends, before 1970, and far ahead. */
	const int64_t fixed[] = { 0, -1, 951782400, 951868799, 951868800, 4107542399, 4107542400, 978307199,
				  -2208988800, 253402300799, 1795000000 };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		same_as_gmtime(fixed[i]);
	/* Every day for 600 years from 1800, at a time of day that moves. */
	for (int64_t t = -5364662400; t < 13569465600; t += 86400 + 3607)
		same_as_gmtime(t);
}

Test(time, rfc3339_has_nanoseconds_only_when_asked)
{
	char with[64], without[64];
	time_rfc3339(with, sizeof(with), true);
	time_rfc3339(without, sizeof(without), false);
	cr_assert_eq(strlen(with), strlen("2026-11-22T04:58:40.610654402Z"), "%s", with);
	cr_assert_eq(strlen(without), strlen("2026-11-22T04:58:40Z"), "%s", without);
	cr_assert(with[10] == 'T' && with[19] == '.' && without[19] == 'Z');
}
