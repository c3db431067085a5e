/* The subcommands and the global options every one of them receives. */
#pragma once

#include "cmd/log.h"
#include "cmd/options.h"

struct global_options {
	const char *root;           /* --root: where container state lives */
	const char *log_path;       /* --log */
	enum log_format log_format; /* --log-format */
	bool debug;                 /* --debug */
	bool systemd_cgroup;        /* --systemd-cgroup, or --cgroup-manager systemd */
	const char *rootless;       /* --rootless auto|true|false */
	const char *cgroup_manager; /* --cgroup-manager cgroupfs|systemd|disabled (crun's, passed by podman) */
	bool rootless_resolved;     /* --rootless, with auto decided: a caller without root */
};

extern const struct cli_command cmd_checkpoint;
extern const struct cli_command cmd_create;
extern const struct cli_command cmd_delete;
extern const struct cli_command cmd_events;
extern const struct cli_command cmd_exec;
extern const struct cli_command cmd_features;
extern const struct cli_command cmd_kill;
extern const struct cli_command cmd_list;
extern const struct cli_command cmd_pause;
extern const struct cli_command cmd_ps;
extern const struct cli_command cmd_restore;
extern const struct cli_command cmd_resume;
extern const struct cli_command cmd_run;
extern const struct cli_command cmd_spec;
extern const struct cli_command cmd_start;
extern const struct cli_command cmd_state;
extern const struct cli_command cmd_update;
