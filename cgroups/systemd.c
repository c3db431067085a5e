#include "cgroups/systemd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/resources.h"
#include "util/cleanup.h"
#include "util/dl.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define CALL_TIMEOUT_USEC (10 * 1000 * 1000ULL)

/*
 * The part of sd-bus berth uses, resolved from libsystemd.so.0 on first use:
 * X(slot, symbol), each slot typed from sd-bus's own prototype (as libmnl's in
 * namespaces/network.c).
 */
#define SD_FUNCTIONS(X) \
	X(bus_new, sd_bus_new) \
	X(set_address, sd_bus_set_address) \
	X(start, sd_bus_start) \
	X(open_system, sd_bus_open_system) \
	X(close_unref, sd_bus_flush_close_unref) \
	X(new_method_call, sd_bus_message_new_method_call) \
	X(append, sd_bus_message_append) \
	X(open_container, sd_bus_message_open_container) \
	X(close_container, sd_bus_message_close_container) \
	X(call, sd_bus_call) \
	X(message_unref, sd_bus_message_unref) \
	X(error_free, sd_bus_error_free)

static struct {
	bool loaded;
#define SD_SLOT(slot, symbol) __typeof__(symbol) *slot;
	SD_FUNCTIONS(SD_SLOT)
#undef SD_SLOT
} sd;

static int load_libsystemd(berth_error **err)
{
#define SD_SYMBOL(slot, symbol) { (void **) &sd.slot, #symbol },
	const struct dl_symbol symbols[] = { SD_FUNCTIONS(SD_SYMBOL) };
#undef SD_SYMBOL
	return dl_load("libsystemd.so.0", symbols, ARRAY_SIZE(symbols), &sd.loaded, "--systemd-cgroup", err);
}

/* systemd's own socket when root (no dbus-daemon needed, as systemctl does), else the system bus. */
static int connect_systemd(sd_bus **ret, berth_error **err)
{
	int r = load_libsystemd(err);
	if (r < 0)
		return r;
	sd_bus *bus = NULL;
	if (geteuid() == 0 && access("/run/systemd/private", F_OK) == 0) {
		r = sd.bus_new(&bus);
		if (r >= 0)
			r = sd.set_address(bus, "unix:path=/run/systemd/private");
		if (r >= 0)
			r = sd.start(bus);
		if (r >= 0) {
			*ret = bus;
			return 0;
		}
		if (bus)
			sd.close_unref(bus);
		bus = NULL;
	}
	r = sd.open_system(&bus);
	if (r < 0)
		return error_errno(err, -r, "--systemd-cgroup: cannot reach systemd (is it running as PID 1?)");
	*ret = bus;
	return 0;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "" (systemd's unit name escaping rules). */
static int slice_path(const char *slice, char **ret)
{
	size_t len = strlen(slice);
	if (strcmp(slice, "-.slice") == 0)
		return (*ret = strdup("")) ? 0 : -ENOMEM;
	if (len <= 6 || strcmp(slice + len - 6, ".slice") != 0 || strchr(slice, '/') || slice[0] == '-' ||
	    slice[len - 7] == '-' || strstr(slice, "--"))
		return -EINVAL;
	size_t stem = len - 6, size = 1;
	for (size_t i = 0; i <= stem; i++)
		if (i == stem || slice[i] == '-')
			size += i + 7;
	char *path = malloc(size), *p = path;
	if (!path)
		return -ENOMEM;
	for (size_t i = 0; i <= stem; i++)
		if (i == stem || slice[i] == '-')
			p += sprintf(p, "/%.*s.slice", (int) i, slice);
	*ret = path;
	return 0;
}

int systemd_unit_parse(const char *cgroups_path, const char *id, struct systemd_unit *ret, berth_error **err)
{
	*ret = (struct systemd_unit){ 0 };
	_cleanup_free_ char *copy = cgroups_path && *cgroups_path ? strdup(cgroups_path) : NULL;
	const char *slice = "system.slice", *prefix = "berth", *name = id;
	if (copy) {
		char *first = strchr(copy, ':'), *second = first ? strchr(first + 1, ':') : NULL;
		if (!second || strchr(second + 1, ':'))
			return error_new(err, EINVAL, "linux.cgroupsPath: \"%s\": the systemd driver expects \"slice:prefix:name\"",
					 cgroups_path);
		*first = *second = '\0';
		slice = *copy ? copy : "system.slice";
		prefix = first + 1;
		name = second + 1;
		if (!*name || strchr(name, '/'))
			return error_new(err, EINVAL, "linux.cgroupsPath: \"%s\": the name part must be a unit name", cgroups_path);
	}
	_cleanup_free_ char *path = NULL;
	int r = slice_path(slice, &path);
	if (r == -EINVAL)
		return error_new(err, EINVAL, "linux.cgroupsPath: \"%s\": \"%s\" is not a slice name", cgroups_path, slice);
	if (r < 0 || asprintf(&ret->name, "%s%s%s.scope", prefix, *prefix ? "-" : "", name) < 0 ||
	    !(ret->slice = strdup(slice)) || asprintf(&ret->path, "%s/%s", path, ret->name) < 0) {
		systemd_unit_clear(ret);
		return error_errno(err, ENOMEM, "linux.cgroupsPath");
	}
	return 0;
}

void systemd_unit_clear(struct systemd_unit *u)
{
	free(u->slice);
	free(u->name);
	free(u->path);
	*u = (struct systemd_unit){ 0 };
}

/* An org.systemd.property.<Name> annotation as a unit property: a boolean, a number (uint64), or a string. */
static int append_annotation(sd_bus_message *m, const char *name, const char *value)
{
	char *end;
	const char *v = value;
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
		return sd.append(m, "(sv)", name, "b", (int) (v[0] == 't'));
	if (strncmp(v, "uint64 ", 7) == 0)
		v += 7;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (*v >= '0' && *v <= '9' && !*end && errno == 0)
		return sd.append(m, "(sv)", name, "t", (uint64_t) n);
	size_t len = strlen(value);
	if (len >= 2 && (value[0] == '\'' || value[0] == '"') && value[len - 1] == value[0]) {
		_cleanup_free_ char *inner = strndup(value + 1, len - 2);
		return inner ? sd.append(m, "(sv)", name, "s", inner) : -ENOMEM;
	}
	return sd.append(m, "(sv)", name, "s", value);
}

/* A limit as systemd takes it: -1 (unlimited, as update gives it) is systemd's infinity. */
static uint64_t limit_value(int64_t v)
{
	return v < 0 ? UINT64_MAX : (uint64_t) v;
}

/*
 * The limits systemd knows, as unit properties, so a daemon-reload (which has systemd write them to the cgroup
 * again) keeps them; berth writes every limit to the cgroup as well. Only those res sets: at start, the
 * config's; on update, the new ones.
 */
static int append_limits(sd_bus_message *m, const struct oci_resources *res)
{
	int r = 0;
	if (!res)
		return 0;
	if (res->memory && res->memory->limit.set && res->memory->limit.value != 0)
		r = sd.append(m, "(sv)", "MemoryMax", "t", limit_value(res->memory->limit.value));
	if (r >= 0 && res->pids && res->pids->limit.set && res->pids->limit.value != 0)
		r = sd.append(m, "(sv)", "TasksMax", "t", limit_value(res->pids->limit.value));
	if (r >= 0 && res->cpu && res->cpu->shares.set && res->cpu->shares.value)
		r = sd.append(m, "(sv)", "CPUWeight", "t", (uint64_t) cgroup_shares_to_weight(res->cpu->shares.value));
	if (r >= 0 && res->cpu && res->cpu->quota.set && res->cpu->quota.value != 0) {
		uint64_t period = res->cpu->period.set && res->cpu->period.value ? res->cpu->period.value : 100000;
		uint64_t per_sec = res->cpu->quota.value < 0 ? UINT64_MAX
							       : (uint64_t) res->cpu->quota.value * 1000000 / period;
		r = sd.append(m, "(sv)", "CPUQuotaPerSecUSec", "t", per_sec);
	}
	return r;
}

static int append_properties(sd_bus_message *m, const struct systemd_unit *u, pid_t pid, const char *id,
			     const struct oci_linux *l, const struct string_map *annotations)
{
	char description[256];
	snprintf(description, sizeof(description), "berth container %s", id);
	int r = sd.append(m, "(sv)(sv)(sv)(sv)", "Description", "s", description, "Slice", "s", u->slice, "Delegate", "b",
			  1, "DefaultDependencies", "b", 0);
	if (r >= 0)
		r = sd.append(m, "(sv)", "PIDs", "au", 1, (uint32_t) pid);
	if (r >= 0)
		r = sd.append(m, "(sv)(sv)(sv)(sv)", "MemoryAccounting", "b", 1, "TasksAccounting", "b", 1,
			      "CPUAccounting", "b", 1, "IOAccounting", "b", 1);
	if (r >= 0)
		r = append_limits(m, l ? l->resources : NULL);
	static const char prefix[] = "org.systemd.property.";
	for (size_t i = 0; r >= 0 && annotations && i < annotations->len; i++)
		if (strncmp(annotations->keys[i], prefix, sizeof(prefix) - 1) == 0)
			r = append_annotation(m, annotations->keys[i] + sizeof(prefix) - 1, annotations->values[i]);
	return r;
}

/* Whether pid's cgroup (v2 line, or name=systemd on v1) is path. */
static bool in_cgroup(pid_t pid, const char *path)
{
	char file[64], line[4096];
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int) pid);
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *p = strchr(line, ':');
		p = p ? strchr(p + 1, ':') : NULL;
		if (p && strcmp(p + 1, path) == 0)
			return true;
	}
	return false;
}

static int manager_call(sd_bus *bus, sd_bus_message *m, const char *what, const char *unit, berth_error **err)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r = sd.call(bus, m, CALL_TIMEOUT_USEC, &e, &reply);
	if (r < 0) {
		bool missing = e.name && strcmp(e.name, "org.freedesktop.systemd1.NoSuchUnit") == 0;
		r = missing ? -ENOENT
			    : error_new(err, -r, "--systemd-cgroup: %s %s: %s", what, unit, e.message ? e.message : strerror(-r));
	}
	sd.error_free(&e);
	if (reply)
		sd.message_unref(reply);
	return r < 0 ? r : 0;
}

/* A connection and a new call of a Manager method on it (the caller unrefs both); r < 0 from sd-bus. */
static int manager_method(const char *member, sd_bus **ret_bus, sd_bus_message **ret_m, berth_error **err)
{
	int r = connect_systemd(ret_bus, err);
	if (r < 0)
		return r;
	*ret_m = NULL;
	r = sd.new_method_call(*ret_bus, ret_m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, member);
	if (r < 0) {
		sd.close_unref(*ret_bus);
		return error_errno(err, -r, "--systemd-cgroup: %s", member);
	}
	return 0;
}

int systemd_start_scope(const struct systemd_unit *u, pid_t pid, const char *id, const struct oci_linux *l,
			const struct string_map *annotations, berth_error **err)
{
	sd_bus *bus = NULL;
	sd_bus_message *m = NULL;
	int r = manager_method("StartTransientUnit", &bus, &m, err);
	if (r < 0)
		return r;
	r = sd.append(m, "ss", u->name, "fail");
	if (r >= 0)
		r = sd.open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = append_properties(m, u, pid, id, l, annotations);
	if (r >= 0)
		r = sd.close_container(m);
	if (r >= 0)
		r = sd.append(m, "a(sa(sv))", 0);
	if (r < 0)
		r = error_errno(err, -r, "--systemd-cgroup: start %s: build the request", u->name);
	else
		r = manager_call(bus, m, "start", u->name, err);
	if (r == -ENOENT)
		r = error_new(err, ENOENT, "--systemd-cgroup: start %s: no such unit", u->name);
	sd.message_unref(m);
	sd.close_unref(bus);
	if (r < 0)
		return r;
	/* The call returns with the job queued: the scope is there once pid is in it. */
	for (int i = 0; i < 5000 && !in_cgroup(pid, u->path); i++)
		nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
	if (!in_cgroup(pid, u->path))
		return error_new(err, ETIMEDOUT, "--systemd-cgroup: %s did not start within 5 s (see journalctl -u %s)",
				 u->name, u->name);
	return 0;
}

int systemd_stop_unit(const struct systemd_unit *u, berth_error **err)
{
	sd_bus *bus = NULL;
	sd_bus_message *m = NULL;
	int r = manager_method("StopUnit", &bus, &m, err);
	if (r < 0)
		return r;
	r = sd.append(m, "ss", u->name, "replace");
	r = r < 0 ? error_errno(err, -r, "--systemd-cgroup: stop %s", u->name) : manager_call(bus, m, "stop", u->name, err);
	sd.message_unref(m);
	sd.close_unref(bus);
	return r == -ENOENT ? 0 : r;
}

int systemd_set_limits(const struct systemd_unit *u, const struct oci_resources *res, berth_error **err)
{
	sd_bus *bus = NULL;
	sd_bus_message *m = NULL;
	int r = manager_method("SetUnitProperties", &bus, &m, err);
	if (r < 0)
		return r;
	/* runtime: the change lasts as long as the transient unit, as the unit itself. */
	r = sd.append(m, "sb", u->name, 1);
	if (r >= 0)
		r = sd.open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = append_limits(m, res);
	if (r >= 0)
		r = sd.close_container(m);
	r = r < 0 ? error_errno(err, -r, "--systemd-cgroup: set the limits of %s: build the request", u->name)
		  : manager_call(bus, m, "set the limits of", u->name, err);
	if (r == -ENOENT)
		r = error_new(err, ENOENT, "--systemd-cgroup: set the limits of %s: no such unit", u->name);
	sd.message_unref(m);
	sd.close_unref(bus);
	return r;
}
