/*
 * Container state under --root: <root>/<id>/ holds state.json (written
 * atomically), config.json (the config the container was created with) and,
 * until start, exec.fifo. The directory itself is the lock (flock).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "oci/config.h"
#include "oci/state.h"
#include "util/error.h"

struct container {
	char *id;
	int dirfd;  /* <root>/<id>, flock'ed when opened for change */
	int rootfd; /* <root> */
	struct berth_container_state *state;
};

/* runc's rule: ^[\w+-\.]+$, at most 1024 bytes, and not "." or "..". */
int container_id_validate(const char *id, berth_error **err);

/* Make <root>/<id> for a new container (refusing a duplicate) and lock it. */
int container_new(const char *root, const char *id, struct container *ret, berth_error **err);

/* Open an existing container; lock it when `lock`. -ENOENT: "container \"x\" does not exist". */
int container_open(const char *root, const char *id, bool lock, struct container *ret, berth_error **err);

/* Open and lock <root>/<id> without reading its state (which may be missing or broken). -ENOENT: no such dir. */
int container_open_dir(const char *root, const char *id, struct container *ret);

int container_save(struct container *c, berth_error **err);

/* Remove <root>/<id> and everything berth put in it. */
int container_remove_dir(struct container *c, berth_error **err);

void container_close(struct container *c);

/* The runtime-spec status, derived: init alive? fifo still there (created) or gone (running)? */
enum oci_status container_status(const struct container *c);

/*
 * Read the OOM kills from the container's memory cgroup and, if there are
 * new ones, record them in state.json, re-read under the directory's lock so
 * that a change another berth saved since c was loaded stays. Returns the total.
 */
uint64_t container_record_oom(struct container *c);

/* A pidfd of the container's init, taken only if it is still that process (no pid-reuse race). */
int container_init_pidfd(const struct container *c);

/* The state JSON runc's `state` prints (and hooks read on stdin). */
int container_state_json(const struct container *c, enum oci_status status, char **ret_json, berth_error **err);

/* The config saved at create. */
int container_load_config(const struct container *c, struct oci_config **ret, berth_error **err);

/* Names of all containers under root (a NULL-terminated, malloc'd list). */
int container_list_ids(const char *root, char ***ret_ids, size_t *ret_len, berth_error **err);
