/* Numeric user and group ids from command-line text (exec --user, --additional-gids). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Only decimal digits, at most UINT32_MAX: no sign, space, or base prefix (strtoul would take them). */
int parse_id32(const char *text, uint32_t *ret);

/* "UID" or "UID:GID"; *ret_has_gid says which. -EINVAL when either part is not an id. */
int parse_user_spec(const char *spec, uint32_t *ret_uid, uint32_t *ret_gid, bool *ret_has_gid);
