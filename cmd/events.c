/* berth events: runc's event stream (stats every interval, oom when the kernel kills), or one stats event. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/stats.h"
#include "cmd/commands.h"
#include "runtime/control.h"
#include "util/json.h"

enum { OPT_STATS, OPT_INTERVAL };
static const struct cli_option options[] = {
	[OPT_STATS] = { "stats", 0, NULL, "display the container's stats then exit" },
	[OPT_INTERVAL] = { "interval", 0, "DURATION", "set the stats collection interval (default: 5s)" },
};

/* Go durations as runc takes them: 500ms, 5s, 1m, 1h (or a bare number of seconds). */
static int parse_duration_ms(const char *text, long long *ret, berth_error **err)
{
	char *end = NULL;
	double v = strtod(text, &end);
	double mult = 1000;
	if (end == text || v < 0)
		goto bad;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0)
		mult = 3600000;
	else
		goto bad;
	*ret = (long long) (v * mult);
	if (*ret > 0)
		return 0;
bad:
	return error_new(err, EINVAL, "events: --interval: expected a duration such as 5s or 500ms, got \"%s\"", text);
}

static void print_event(const char *type, const char *id, const struct cgroup_set *set)
{
	_cleanup_json_gen_ yajl_gen g = json_gen_new(NULL);
	_cleanup_free_ char *json = NULL;
	if (!g)
		return;
	yajl_gen_map_open(g);
	json_gen_cstring(g, "type");
	json_gen_cstring(g, type);
	json_gen_cstring(g, "id");
	json_gen_cstring(g, id);
	if (set) {
		json_gen_cstring(g, "data");
		cgroup_stats_emit(set, g);
	}
	yajl_gen_map_close(g);
	if (json_gen_finish(g, &json, NULL, NULL) == 0) {
		puts(json);
		fflush(stdout);
	}
}

static int run_events(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	const char *id = args->positional[0];
	long long interval = 5000;
	struct cgroup_set set;
	int pidfd = -1;

	if (args->values[OPT_INTERVAL] && parse_duration_ms(args->values[OPT_INTERVAL], &interval, err) < 0)
		return -EINVAL;
	int r = container_watch_open(global->root, id, &set, &pidfd, err);
	if (r < 0)
		return r;
	if (cli_flag(args, OPT_STATS)) {
		print_event("stats", id, &set);
		close(pidfd);
		cgroup_set_clear(&set);
		return 0;
	}
	int oom = cgroup_oom_watch(&set);
	uint64_t kills = cgroup_oom_kills(&set);
	/* Stream until the container's init is gone. */
	for (;;) {
		struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = oom, .events = POLLIN } };
		int n = poll(p, 2, (int) interval);
		if (n < 0 && errno != EINTR)
			break;
		if (n == 0)
			print_event("stats", id, &set);
		if (p[1].revents)
			for (int events = cgroup_oom_ack(&set, oom, &kills); events > 0; events--)
				print_event("oom", id, NULL);
		if (p[0].revents)
			break;
	}
	if (oom >= 0)
		close(oom);
	close(pidfd);
	cgroup_set_clear(&set);
	return 0;
}

const struct cli_command cmd_events = {
	.name = "events",
	.summary = "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
	.arguments = "<container-id>",
	.options = options,
	.n_options = ARRAY_SIZE(options),
	.min_args = 1,
	.max_args = 1,
	.run = run_events,
};
