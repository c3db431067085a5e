/* The runtime-spec state object (runtime.md#state) as `berth state` prints it, with runc's extra fields. */
#pragma once

#include "oci/model.h"

enum oci_status {
	OCI_STATUS_UNSET,
	OCI_STATUS_CREATING,
	OCI_STATUS_CREATED,
	OCI_STATUS_RUNNING,
	OCI_STATUS_STOPPED,
	OCI_STATUS_PAUSED,
	OCI_STATUS_COUNT,
};
extern const char *const oci_status_names[OCI_STATUS_COUNT];

struct oci_state {
	char *oci_version;
	char *id;
	struct opt_int pid;
	int status; /* enum oci_status */
	char *bundle;
	char *rootfs;   /* runc: the resolved rootfs path */
	char *created;  /* runc: RFC 3339 with nanoseconds, UTC */
	char *owner;    /* runc: always present, empty for root */
	struct string_map annotations;
	bool oom_killed; /* berth: the kernel's OOM killer killed in the container (absent when not) */
};

extern const struct model_type oci_state_type;

/*
 * berth's own record of a container, <root>/<id>/state.json: what the
 * commands after create need and cannot derive. Written atomically.
 */
struct berth_container_state {
	char *oci_version;
	char *id;
	char *bundle;
	char *rootfs;
	char *created;
	char *owner;
	int status;                    /* enum oci_status as last recorded (creating, created, stopped) */
	struct opt_int init_pid;       /* host pid of the container's init */
	struct opt_uint init_start_time; /* /proc/<pid>/stat starttime: tells the init from a reused pid */
	struct string_map cgroup_paths;   /* hierarchy mount -> the container's cgroup in it */
	struct string_map cgroup_created; /* hierarchy mount -> topmost directory berth created */
	struct opt_bool systemd_cgroup;
	struct string_map annotations;
	struct opt_uint oom_kills;        /* kills recorded before the cgroup went away: never lost */
	struct opt_bool poststop_hooks;   /* delete reads the config only for these (unset: an older berth's state) */
};

extern const struct model_type berth_container_state_type;
