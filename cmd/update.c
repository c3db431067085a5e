/* berth update: change a running container's resource limits, from LinuxResources JSON or runc's flags. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "oci/config.h"
#include "runtime/control.h"
#include "util/fs.h"

enum {
	OPT_RESOURCES,
	OPT_MEMORY,
	OPT_MEMORY_RESERVATION,
	OPT_MEMORY_SWAP,
	OPT_CPU_SHARES,
	OPT_CPU_QUOTA,
	OPT_CPU_PERIOD,
	OPT_CPU_RT_RUNTIME,
	OPT_CPU_RT_PERIOD,
	OPT_CPUSET_CPUS,
	OPT_CPUSET_MEMS,
	OPT_PIDS_LIMIT,
	OPT_BLKIO_WEIGHT,
	OPT_CPU_IDLE,
	OPT_CPU_BURST,
	OPT_CPU_SHARE,
};

static const struct cli_option options[] = {
	[OPT_RESOURCES] = { "resources", 'r', "FILE", "path to a LinuxResources JSON file, or - for stdin" },
	[OPT_MEMORY] = { "memory", 0, "BYTES", "memory limit (in bytes, or with a unit: 512m, 1g)" },
	[OPT_MEMORY_RESERVATION] = { "memory-reservation", 0, "BYTES", "memory reservation or soft limit" },
	[OPT_MEMORY_SWAP] = { "memory-swap", 0, "BYTES", "total memory usage (memory + swap); -1 for unlimited" },
	[OPT_CPU_SHARES] = { "cpu-shares", 0, "N", "CPU shares (relative weight vs. other containers)" },
	[OPT_CPU_QUOTA] = { "cpu-quota", 0, "USECS", "CPU CFS hardcap limit (in usecs) per period" },
	[OPT_CPU_PERIOD] = { "cpu-period", 0, "USECS", "CPU CFS period to be used for hardcapping (in usecs)" },
	[OPT_CPU_RT_RUNTIME] = { "cpu-rt-runtime", 0, "USECS", "CPU realtime hardcap limit (in usecs)" },
	[OPT_CPU_RT_PERIOD] = { "cpu-rt-period", 0, "USECS", "CPU realtime period to be used for hardcapping" },
	[OPT_CPUSET_CPUS] = { "cpuset-cpus", 0, "CPUS", "CPU(s) to use" },
	[OPT_CPUSET_MEMS] = { "cpuset-mems", 0, "NODES", "memory node(s) to use" },
	[OPT_PIDS_LIMIT] = { "pids-limit", 0, "N", "maximum number of pids allowed in the container" },
	[OPT_BLKIO_WEIGHT] = { "blkio-weight", 0, "N", "specifies per cgroup weight, range is from 10 to 1000" },
	[OPT_CPU_IDLE] = { "cpu-idle", 0, "0|1", "set cgroup SCHED_IDLE or not" },
	[OPT_CPU_BURST] = { "cpu-burst", 0, "USECS", "CPU CFS hardcap burst limit (in usecs)" },
	[OPT_CPU_SHARE] = { "cpu-share", 0, "N", "runc's spelling of --cpu-shares" },
};

/* Sizes as runc reads them (go-units RAMInBytes): 1024-based units, optional b/B. */
static int parse_bytes(const char *flag, const char *text, bool allow_minus_one, int64_t *ret, berth_error **err)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || end == text || (v < 0 && !(allow_minus_one && v == -1)))
		return error_new(err, EINVAL, "update: --%s: expected a size such as 512m, got \"%s\"", flag, text);
	long long mult = 1;
	switch (tolower((unsigned char) *end)) {
	case 'k':
		mult = 1LL << 10;
		end++;
		break;
	case 'm':
		mult = 1LL << 20;
		end++;
		break;
	case 'g':
		mult = 1LL << 30;
		end++;
		break;
	case 't':
		mult = 1LL << 40;
		end++;
		break;
	default:
		break;
	}
	if (tolower((unsigned char) *end) == 'b')
		end++;
	if (*end || (v > 0 && v > INT64_MAX / mult))
		return error_new(err, EINVAL, "update: --%s: expected a size such as 512m, got \"%s\"", flag, text);
	*ret = v * mult;
	return 0;
}

static int parse_number(const char *flag, const char *text, int64_t min, int64_t *ret, berth_error **err)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < min)
		return error_new(err, EINVAL, "update: --%s: expected a number, got \"%s\"", flag, text);
	*ret = v;
	return 0;
}

static void *zalloc(void **slot, size_t size)
{
	if (!*slot)
		*slot = calloc(1, size);
	return *slot;
}

/* runc's per-value flags as a LinuxResources object. */
static int resources_from_flags(const struct cli_args *a, struct oci_resources *res, berth_error **err)
{
	int64_t v = 0;
	int r = 0;
	struct {
		int option;
		int64_t min;
		bool size;
	} const numeric[] = {
		{ OPT_MEMORY, -1, true },        { OPT_MEMORY_RESERVATION, -1, true }, { OPT_MEMORY_SWAP, -1, true },
		{ OPT_CPU_SHARES, 0, false },    { OPT_CPU_QUOTA, -1, false },         { OPT_CPU_PERIOD, 0, false },
		{ OPT_CPU_RT_RUNTIME, -1, false }, { OPT_CPU_RT_PERIOD, 0, false },    { OPT_PIDS_LIMIT, -1, false },
		{ OPT_BLKIO_WEIGHT, 0, false },  { OPT_CPU_IDLE, 0, false },           { OPT_CPU_BURST, 0, false },
		{ OPT_CPU_SHARE, 0, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(numeric) && r == 0; i++) {
		const char *text = a->values[numeric[i].option];
		const char *flag = options[numeric[i].option].name;
		if (!text)
			continue;
		r = numeric[i].size ? parse_bytes(flag, text, true, &v, err) : parse_number(flag, text, numeric[i].min, &v, err);
		if (r < 0)
			return r;
		struct oci_memory *m = NULL;
		struct oci_cpu *c = NULL;
		if (numeric[i].option <= OPT_MEMORY_SWAP && !(m = zalloc((void **) &res->memory, sizeof(*res->memory))))
			return -ENOMEM;
		if (((numeric[i].option >= OPT_CPU_SHARES && numeric[i].option <= OPT_CPU_RT_PERIOD) ||
		     numeric[i].option == OPT_CPU_SHARE) &&
		    !(c = zalloc((void **) &res->cpu, sizeof(*res->cpu))))
			return -ENOMEM;
		switch (numeric[i].option) {
		case OPT_MEMORY:
			m->limit = (struct opt_int){ true, v };
			break;
		case OPT_MEMORY_RESERVATION:
			m->reservation = (struct opt_int){ true, v };
			break;
		case OPT_MEMORY_SWAP:
			m->swap = (struct opt_int){ true, v };
			break;
		case OPT_CPU_SHARES:
		case OPT_CPU_SHARE:
			c->shares = (struct opt_uint){ true, (uint64_t) v };
			break;
		case OPT_CPU_QUOTA:
			c->quota = (struct opt_int){ true, v };
			break;
		case OPT_CPU_PERIOD:
			c->period = (struct opt_uint){ true, (uint64_t) v };
			break;
		case OPT_CPU_RT_RUNTIME:
			c->realtime_runtime = (struct opt_int){ true, v };
			break;
		case OPT_CPU_RT_PERIOD:
			c->realtime_period = (struct opt_uint){ true, (uint64_t) v };
			break;
		case OPT_PIDS_LIMIT:
			if (!zalloc((void **) &res->pids, sizeof(*res->pids)))
				return -ENOMEM;
			res->pids->limit = (struct opt_int){ true, v };
			break;
		case OPT_BLKIO_WEIGHT:
			if (v > 1000)
				return error_new(err, EINVAL, "update: --blkio-weight: expected 10 to 1000, got %lld", (long long) v);
			if (!zalloc((void **) &res->block_io, sizeof(*res->block_io)))
				return -ENOMEM;
			res->block_io->weight = (struct opt_uint){ true, (uint64_t) v };
			break;
		case OPT_CPU_IDLE:
		case OPT_CPU_BURST:
			if (!zalloc((void **) &res->cpu, sizeof(*res->cpu)))
				return -ENOMEM;
			if (numeric[i].option == OPT_CPU_IDLE)
				res->cpu->idle = (struct opt_int){ true, v };
			else
				res->cpu->burst = (struct opt_uint){ true, (uint64_t) v };
			break;
		default:
			break;
		}
	}
	if (a->values[OPT_CPUSET_CPUS] || a->values[OPT_CPUSET_MEMS]) {
		if (!zalloc((void **) &res->cpu, sizeof(*res->cpu)))
			return -ENOMEM;
		if (a->values[OPT_CPUSET_CPUS] && !(res->cpu->cpus = strdup(a->values[OPT_CPUSET_CPUS])))
			return -ENOMEM;
		if (a->values[OPT_CPUSET_MEMS] && !(res->cpu->mems = strdup(a->values[OPT_CPUSET_MEMS])))
			return -ENOMEM;
	}
	return 0;
}

static int run_update(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	struct oci_resources *res = NULL;
	int r;

	if (args->values[OPT_RESOURCES]) {
		_cleanup_free_ char *data = NULL;
		size_t len = 0;
		const char *path = args->values[OPT_RESOURCES];
		bool from_stdin = strcmp(path, "-") == 0;
		r = from_stdin ? read_fd_all(STDIN_FILENO, "stdin", &data, &len, err)
			       : read_file_at(AT_FDCWD, path, &data, &len, err);
		if (r == 0)
			r = oci_resources_parse(data, len, from_stdin ? "stdin" : path, &res, err);
		if (r < 0)
			return r;
	} else {
		res = calloc(1, sizeof(*res));
		if (!res)
			return error_errno(err, ENOMEM, "update");
		r = resources_from_flags(args, res, err);
		if (r < 0) {
			oci_resources_free(res);
			return r == -ENOMEM ? error_errno(err, ENOMEM, "update") : r;
		}
	}
	r = container_update(global->root, args->positional[0], res, err);
	oci_resources_free(res);
	return r;
}

const struct cli_command cmd_update = {
	.name = "update",
	.summary = "update container resource constraints",
	.arguments = "<container-id>",
	.options = options,
	.n_options = ARRAY_SIZE(options),
	.min_args = 1,
	.max_args = 1,
	.run = run_update,
};
