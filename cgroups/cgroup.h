/*
 * Placing a container in its cgroups on cgroup v1, hybrid and v2 hosts. Each
 * mounted hierarchy (every v1 controller mount, and cgroup2) gets a directory
 * at the container's path; berth records the topmost directory it created in
 * each, so delete removes exactly what create made and nothing else.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "oci/model.h"
#include "util/error.h"

struct cgroup_dir {
	char *mount;   /* the hierarchy's mount point, e.g. /sys/fs/cgroup/memory */
	char *path;    /* the container's cgroup inside it, e.g. /process_api/x/berth/c1 */
	char *created; /* topmost directory berth made (NULL: the cgroup already existed) */
	bool v2;
	bool cpuset;   /* v1 cpuset: new levels need cpus/mems before tasks can join */
};

struct cgroup_set {
	struct cgroup_dir *dirs;
	size_t len;
};

/*
 * Resolve where the container's cgroups go. cgroups_path absolute: from each
 * hierarchy's root (runtime-spec); relative or NULL: under the caller's own
 * cgroup in that hierarchy (NULL means "berth-<id>").
 */
/*
 * Whether word is one of the names in list, separated by ',', ' ' or '\n':
 * a hierarchy's controllers ("cpu,cpuacct"), mount options, cgroup.controllers.
 */
bool cgroup_list_has(const char *list, const char *word);

int cgroup_set_plan(const char *cgroups_path, const char *id, struct cgroup_set *ret, berth_error **err);

/*
 * Create the directories, recording what was created. With skip_denied (a
 * rootless caller), a hierarchy where berth may not create its cgroup is
 * dropped from the set instead; *ret_denied (may be NULL) then gets the first
 * refusal ("create cgroup `...`: Permission denied"), to be freed.
 */
int cgroup_set_create(struct cgroup_set *set, bool skip_denied, char **ret_denied, berth_error **err);
/* skip_v2: the process was born in the cgroup2 directory already (clone3 CLONE_INTO_CGROUP). */
int cgroup_set_enter(const struct cgroup_set *set, pid_t pid, bool skip_v2, berth_error **err);

/* An fd of the set's cgroup2 directory, for clone3 CLONE_INTO_CGROUP; -ENOENT when there is none. */
int cgroup_set_open_v2(const struct cgroup_set *set);

/* Every pid in the container's cgroup and the cgroups below it (first hierarchy that lists them). */
int cgroup_set_pids(const struct cgroup_set *set, pid_t **ret_pids, size_t *ret_len);

/* SIGKILL the whole cgroup2 subtree through cgroup.kill; -ENOENT where there is no cgroup2 dir, -errno. */
int cgroup_set_kill(const struct cgroup_set *set);

/*
 * At create, before the init exists: every cgroup of the set (and below) must
 * be empty, else it is someone else's (a pod's, a service's, the root) and
 * berth would later signal what it did not create. EBUSY with err otherwise.
 */
int cgroup_set_check_empty(const struct cgroup_set *set, berth_error **err);

/* Remove what create made (with any sub-cgroups made inside it), bottom up; waits briefly for exiting processes. */
int cgroup_set_remove(const struct cgroup_set *set, berth_error **err);

/* The set as lines "mount<TAB>path<TAB>created" (the state directory's record, kept apart from state.json). */
int cgroup_set_format(const struct cgroup_set *set, char **ret);
/* Parse what cgroup_set_format wrote (text is modified). */
int cgroup_set_parse(char *text, struct cgroup_set *ret);

void cgroup_set_clear(struct cgroup_set *set);

/* Save to / load from the state file's maps: mount -> container path, mount -> topmost created. */
int cgroup_set_to_maps(const struct cgroup_set *set, struct string_map *paths, struct string_map *created);
int cgroup_set_from_maps(const struct string_map *paths, const struct string_map *created, struct cgroup_set *ret);
