/* exec --user and --additional-gids: only plain decimal ids. */
#include <criterion/criterion.h>
#include <errno.h>

#include "util/ids.h"

Test(ids, plain_numbers)
{
	uint32_t v = 1;
	cr_assert_eq(parse_id32("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(parse_id32("4294967295", &v), 0);
	cr_assert_eq(v, UINT32_MAX);
}

Test(ids, what_strtoul_would_take_is_refused)
{
	uint32_t v;
	const char *bad[] = { "", " 5", "5 ", "+5", "-1", "0x10", "4294967296", "99999999999999999999", "1e3", "5:" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse_id32(bad[i], &v), -EINVAL, "accepted \"%s\"", bad[i]);
}

Test(ids, user_spec)
{
	uint32_t uid = 9, gid = 9;
	bool has_gid = true;
	cr_assert_eq(parse_user_spec("1000", &uid, &gid, &has_gid), 0);
	cr_assert(uid == 1000 && !has_gid && gid == 9);
	cr_assert_eq(parse_user_spec("1000:100", &uid, &gid, &has_gid), 0);
	cr_assert(uid == 1000 && has_gid && gid == 100);
	const char *bad[] = { ":100", "1000:", "a:b", "1000:100:1", "1000: 100", "bob" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse_user_spec(bad[i], &uid, &gid, &has_gid), -EINVAL, "accepted \"%s\"", bad[i]);
}
