/* Rules on single values and checks across fields of the config (runtime-spec 1.3.0). */
#include "oci/config_check.h"

#include <ctype.h>
#include <net/if.h>
#include <string.h>
#include <sys/capability.h>

#include "oci/config.h"
#include "util/cleanup.h"
#include "util/error.h"

const char *oci_rule_version(const char *value)
{
	/* SemVer 1.x: berth understands every 1.y config (config.md: compatible within a major). */
	if (strncmp(value, "1.", 2) != 0 || !isdigit((unsigned char) value[2]))
		return "a runtime-spec version 1.x.y (berth supports " OCI_SPEC_VERSION_MIN " to " OCI_SPEC_VERSION ")";
	return NULL;
}

const char *oci_rule_absolute_path(const char *value)
{
	return value[0] == '/' ? NULL : "an absolute path";
}

bool oci_capability_known(const char *value)
{
	cap_value_t cap;
	/* cap_max_bits() is libcap's cached count: CAP_IS_SUPPORTED would cost a prctl per name. */
	return strncmp(value, "CAP_", 4) == 0 && cap_from_name(value, &cap) == 0 && cap >= 0 &&
	       cap < cap_max_bits();
}

/*
 * config.md: a capability that cannot be mapped to the kernel "MUST be logged as
 * a warning" and the runtime "SHOULD NOT fail" (a newer caller on an older
 * kernel): one warning naming them all, as runc logs it; the init skips them.
 */
static void warn_unknown_capabilities(const struct oci_capabilities *c, const char *path)
{
	const struct string_list *sets[] = { &c->bounding, &c->effective, &c->inheritable, &c->permitted, &c->ambient };
	char names[512] = "";
	size_t len = 0;
	for (size_t s = 0; s < ARRAY_SIZE(sets); s++)
		for (size_t i = 0; i < sets[s]->len; i++) {
			const char *name = sets[s]->items[i];
			if (oci_capability_known(name) || (len && strstr(names, name)))
				continue;
			int w = snprintf(names + len, sizeof(names) - len, "%s%s", len ? " " : "", name);
			if (w < 0 || (size_t) w >= sizeof(names) - len)
				break;
			len += (size_t) w;
		}
	if (len)
		warning("%s.capabilities: ignoring unknown or unavailable capabilities: [%s]", path, names);
}

const char *oci_rule_device_access(const char *value)
{
	return value[strspn(value, "rwm")] == '\0' ? NULL : "a combination of r, w and m";
}

const char *oci_rule_hugepage_size(const char *value)
{
	/* config-linux.md: "<size><unit-prefix>B" (e.g. 64KB, 2MB, 1GB). */
	size_t digits = strspn(value, "0123456789");
	const char *unit = value + digits;
	if (digits == 0 || !(strcmp(unit, "B") == 0 || (unit[0] && strchr("KMGTPE", unit[0]) && strcmp(unit + 1, "B") == 0)))
		return "a page size such as 2MB";
	return NULL;
}

const char *oci_rule_time_clock(const char *value)
{
	return strcmp(value, "monotonic") == 0 || strcmp(value, "boottime") == 0 ? NULL : "monotonic or boottime";
}

const char *oci_rule_interface_name(const char *value)
{
	size_t len = strlen(value);
	if (len == 0 || len >= IFNAMSIZ || strchr(value, '/') || strchr(value, ':') || strpbrk(value, " \t\n") ||
	    strcmp(value, ".") == 0 || strcmp(value, "..") == 0)
		return "a network interface name (1 to 15 characters, no '/', ':' or spaces)";
	return NULL;
}

static bool has_namespace(const struct oci_linux *l, enum oci_namespace_type type)
{
	for (size_t i = 0; i < l->namespaces.len; i++)
		if (l->namespaces.items[i].type == (int) type)
			return true;
	return false;
}

int oci_check_linux(const void *obj, const char *path, berth_error **err)
{
	const struct oci_linux *l = obj;
	char field[64];

	for (size_t i = 0; i < l->namespaces.len; i++)
		for (size_t j = 0; j < i; j++)
			if (l->namespaces.items[i].type == l->namespaces.items[j].type) {
				snprintf(field, sizeof(field), "namespaces[%zu].type", i);
				return model_fail(err, path, field, "duplicate namespace \"%s\" (also namespaces[%zu])",
						  oci_namespace_names[l->namespaces.items[i].type], j);
			}
	/* config-linux.md: mappings only make sense for a user namespace. */
	if ((l->uid_mappings.len || l->gid_mappings.len) && !has_namespace(l, OCI_NS_USER))
		return model_fail(err, path, l->uid_mappings.len ? "uidMappings" : "gidMappings",
				  "mappings need a user namespace in linux.namespaces");
	if (l->time_offsets.len && !has_namespace(l, OCI_NS_TIME))
		return model_fail(err, path, "timeOffsets", "time offsets need a time namespace in linux.namespaces");
	return 0;
}

int oci_check_process(const void *obj, const char *path, berth_error **err)
{
	const struct oci_process *p = obj;

	/* config.md: commandLine is Windows'; on POSIX platforms args needs at least one entry. */
	if (p->command_line)
		return model_fail(err, path, "commandLine", "is for Windows; on Linux the command goes in args");
	if (p->args.len == 0)
		return model_fail(err, path, "args", "needs at least one entry");
	if (p->capabilities)
		warn_unknown_capabilities(p->capabilities, path);
	for (size_t i = 0; i < p->rlimits.len; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->rlimits.items[i].type, p->rlimits.items[j].type) == 0) {
				char field[64];
				snprintf(field, sizeof(field), "rlimits[%zu].type", i);
				return model_fail(err, path, field, "duplicate rlimit \"%s\" (also rlimits[%zu])",
						  p->rlimits.items[i].type, j);
			}
	for (size_t i = 0; i < p->rlimits.len; i++)
		if (p->rlimits.items[i].soft.value > p->rlimits.items[i].hard.value) {
			char field[64];
			snprintf(field, sizeof(field), "rlimits[%zu]", i);
			return model_fail(err, path, field, "soft limit %llu is above hard limit %llu",
					  (unsigned long long) p->rlimits.items[i].soft.value,
					  (unsigned long long) p->rlimits.items[i].hard.value);
		}
	return 0;
}

/* The kernel's dev_t: 12 bits of major, 20 of minor; a larger number would be cut differently by mknod and the filter. */
#define DEVICE_MAJOR_MAX 4095
#define DEVICE_MINOR_MAX 1048575

static int check_device_numbers(const struct opt_int *major, const struct opt_int *minor, const char *path,
				berth_error **err)
{
	if (major->set && major->value > DEVICE_MAJOR_MAX)
		return model_fail(err, path, "major", "%lld is above the kernel's largest major number %d",
				  (long long) major->value, DEVICE_MAJOR_MAX);
	if (minor->set && minor->value > DEVICE_MINOR_MAX)
		return model_fail(err, path, "minor", "%lld is above the kernel's largest minor number %d",
				  (long long) minor->value, DEVICE_MINOR_MAX);
	return 0;
}

int oci_check_device(const void *obj, const char *path, berth_error **err)
{
	const struct oci_device *d = obj;

	/* config-linux.md: major and minor are required unless the type is p (a FIFO). */
	if (strcmp(d->type, "p") != 0 && (!d->major.set || !d->minor.set))
		return model_fail(err, path, !d->major.set ? "major" : "minor",
				  "required field is missing for a device of type \"%s\"", d->type);
	return check_device_numbers(&d->major, &d->minor, path, err);
}

int oci_check_device_rule(const void *obj, const char *path, berth_error **err)
{
	const struct oci_device_rule *d = obj;
	return check_device_numbers(&d->major, &d->minor, path, err);
}

int oci_check_seccomp_syscall(const void *obj, const char *path, berth_error **err)
{
	const struct oci_syscall *s = obj;
	/* A syscall has six arguments: a seventh condition cannot be kept, and dropping it would widen the rule. */
	if (s->args.len > 6)
		return model_fail(err, path, "args", "has %zu conditions; a syscall has 6 arguments", s->args.len);
	return 0;
}

int oci_check_memory_policy(const void *obj, const char *path, berth_error **err)
{
	const struct oci_memory_policy *m = obj;
	bool needs_nodes = strcmp(m->mode, "MPOL_DEFAULT") != 0 && strcmp(m->mode, "MPOL_LOCAL") != 0;

	if (needs_nodes && (!m->nodes || !*m->nodes))
		return model_fail(err, path, "nodes", "required for mode %s", m->mode);
	if (!needs_nodes && m->nodes && *m->nodes)
		return model_fail(err, path, "nodes", "must be empty for mode %s", m->mode);
	return 0;
}
