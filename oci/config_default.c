/* The config `berth spec` writes: runc's default, at runtime-spec 1.3.0. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "oci/config.h"

static const char default_config_json[] =
	"{\"ociVersion\":\"" OCI_SPEC_VERSION "\","
	"\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
	"\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"],"
	"\"cwd\":\"/\","
	"\"capabilities\":{"
	"\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
	"\"noNewPrivileges\":true},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	"\"hostname\":\"berth\","
	"\"mounts\":["
	"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
	"\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
	"\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
	"{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
	"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
	"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
	"\"linux\":{"
	"\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
	"\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
	"{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
	/* /sys/devices/virtual/powercap: CVE-2020-8694 (PLATYPUS), masked as runc >= 1.2 does. */
	"\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/latency_stats\","
	"\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\","
	"\"/sys/devices/virtual/powercap\",\"/proc/scsi\"],"
	"\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}}";

/* Drop uid= and gid= options: a rootless user cannot chown to host groups such as tty. */
static void strip_owner_options(struct string_list *options)
{
	size_t kept = 0;
	if (!options->items)
		return;
	for (size_t i = 0; i < options->len; i++) {
		if (strncmp(options->items[i], "uid=", 4) == 0 || strncmp(options->items[i], "gid=", 4) == 0)
			free(options->items[i]);
		else
			options->items[kept++] = options->items[i];
	}
	options->len = kept;
	options->items[kept] = NULL;
}

static int make_rootless(struct oci_config *c, berth_error **err)
{
	struct oci_linux *l = c->linux_config;
	size_t kept = 0;
	struct oci_namespace *grown = realloc(l->namespaces.items, (l->namespaces.len + 1) * sizeof(*grown));

	if (!grown)
		return error_errno(err, ENOMEM, "spec --rootless");
	l->namespaces.items = grown;

	/* No network namespace (an unprivileged user cannot configure one) and a new user namespace. */
	for (size_t i = 0; i < l->namespaces.len; i++) {
		struct oci_namespace *ns = &l->namespaces.items[i];
		if (ns->type == OCI_NS_NETWORK || ns->type == OCI_NS_USER)
			free(ns->path);
		else
			l->namespaces.items[kept++] = *ns;
	}
	l->namespaces.items[kept++] = (struct oci_namespace){ .type = OCI_NS_USER };
	l->namespaces.len = kept;

	struct oci_id_mapping *uid = calloc(1, sizeof(*uid)), *gid = calloc(1, sizeof(*gid));
	if (!uid || !gid) {
		free(uid);
		free(gid);
		return error_errno(err, ENOMEM, "spec --rootless");
	}
	*uid = (struct oci_id_mapping){ { true, 0 }, { true, geteuid() }, { true, 1 } };
	*gid = (struct oci_id_mapping){ { true, 0 }, { true, getegid() }, { true, 1 } };
	l->uid_mappings.items = uid;
	l->uid_mappings.len = 1;
	l->gid_mappings.items = gid;
	l->gid_mappings.len = 1;

	for (size_t i = 0; i < c->mounts.len; i++) {
		struct oci_mount *m = &c->mounts.items[i];
		strip_owner_options(&m->options);
		if (strcmp(m->destination, "/sys") == 0) {
			/* sysfs cannot be mounted without owning the network namespace: bind the host's. */
			char *type = strdup("none"), *source = strdup("/sys"), *rbind = strdup("rbind");
			char **items = realloc(m->options.items, (m->options.len + 2) * sizeof(char *));
			if (!type || !source || !rbind || !items) {
				free(type);
				free(source);
				free(rbind);
				if (items)
					m->options.items = items;
				return error_errno(err, ENOMEM, "spec --rootless");
			}
			free(m->type);
			free(m->source);
			m->type = type;
			m->source = source;
			memmove(items + 1, items, (m->options.len + 1) * sizeof(char *));
			items[0] = rbind;
			m->options.items = items;
			m->options.len++;
		}
	}
	/* Resource limits need a delegated cgroup, which a rootless caller may not have. */
	model_free(&oci_resources_type, l->resources);
	l->resources = NULL;
	return 0;
}

/* runc's spec adds a cgroup namespace on a cgroup v2 host only (a v1 or hybrid one keeps the host's view). */
static void drop_cgroup_namespace_unless_v2(struct oci_config *c)
{
	struct statfs sfs;
	if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return;
	struct oci_linux *l = c->linux_config;
	size_t kept = 0;
	for (size_t i = 0; i < l->namespaces.len; i++)
		if (l->namespaces.items[i].type != OCI_NS_CGROUP)
			l->namespaces.items[kept++] = l->namespaces.items[i];
	l->namespaces.len = kept;
}

int oci_config_default(bool rootless, struct oci_config **ret, berth_error **err)
{
	_cleanup_config_ struct oci_config *c = NULL;
	int r = oci_config_parse(default_config_json, sizeof(default_config_json) - 1, "default config", &c, err);
	if (r < 0)
		return r;
	drop_cgroup_namespace_unless_v2(c);
	if (rootless) {
		r = make_rootless(c, err);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(c);
	return 0;
}
