#include "namespaces/network.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/dl.h"

/*
 * libmnl, loaded when linux.netDevices needs it: most containers never talk
 * netlink (loopback is two ioctls), so berth does not link it.
 */
#define MNL_FUNCTIONS(X) \
	X(socket_open2) \
	X(socket_bind) \
	X(socket_close) \
	X(socket_get_portid) \
	X(socket_sendto) \
	X(socket_recvfrom) \
	X(cb_run) \
	X(nlmsg_put_header) \
	X(nlmsg_put_extra_header) \
	X(nlmsg_get_payload) \
	X(nlmsg_get_payload_offset) \
	X(nlmsg_get_payload_tail) \
	X(attr_put) \
	X(attr_put_strz) \
	X(attr_put_u32) \
	X(attr_get_type) \
	X(attr_get_payload) \
	X(attr_get_payload_len) \
	X(attr_ok) \
	X(attr_next)

static struct {
	bool loaded;
#define MNL_SLOT(name) __typeof__(mnl_##name) *name;
	MNL_FUNCTIONS(MNL_SLOT)
#undef MNL_SLOT
} mnl;

static int load_libmnl(berth_error **err)
{
#define MNL_SYMBOL(name) { (void **) &mnl.name, "mnl_" #name },
	const struct dl_symbol symbols[] = { MNL_FUNCTIONS(MNL_SYMBOL) };
#undef MNL_SYMBOL
	return dl_load("libmnl.so.0", symbols, ARRAY_SIZE(symbols), &mnl.loaded, "linux.netDevices", err);
}

/* MNL_SOCKET_BUFFER_SIZE is a runtime value (a VLA); two pages hold any reply berth asks for. */
#define NL_BUFFER 8192

struct netlink {
	struct mnl_socket *sock;
	unsigned seq;
	char buf[NL_BUFFER];
};

static int netlink_open(struct netlink *nl)
{
	nl->sock = mnl.socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	nl->seq = (unsigned) time(NULL);
	if (!nl->sock)
		return -errno;
	if (mnl.socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;
		mnl.socket_close(nl->sock);
		nl->sock = NULL;
		return r;
	}
	return 0;
}

static void netlink_close(struct netlink *nl)
{
	if (nl->sock)
		mnl.socket_close(nl->sock);
	nl->sock = NULL;
}

static struct nlmsghdr *netlink_message(struct netlink *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl.nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Send nlh and run cb over the replies until the ack or the dump's end; 0 or -errno (the kernel's). */
static int netlink_talk(struct netlink *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned seq = nlh->nlmsg_seq, portid = mnl.socket_get_portid(nl->sock);
	if (mnl.socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl.socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return -errno;
		int r = mnl.cb_run(nl->buf, (size_t) n, seq, portid, cb, data);
		if (r < 0)
			return errno ? -errno : -EIO;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static int link_set(struct netlink *nl, int index, unsigned flags, unsigned change, const char *name, int netns_fd)
{
	struct nlmsghdr *nlh = netlink_message(nl, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = mnl.nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	ifm->ifi_flags = flags;
	ifm->ifi_change = change;
	if (name)
		mnl.attr_put_strz(nlh, IFLA_IFNAME, name);
	if (netns_fd >= 0)
		mnl.attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t) netns_fd);
	return netlink_talk(nl, nlh, NULL, NULL);
}

static int link_index_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl.nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type == RTM_NEWLINK)
		*(int *) data = ifm->ifi_index;
	return MNL_CB_OK;
}

/* The index of the interface called name in nl's namespace; -ENODEV when there is none. */
static int link_index(struct netlink *nl, const char *name)
{
	struct nlmsghdr *nlh = netlink_message(nl, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = mnl.nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl.attr_put_strz(nlh, IFLA_IFNAME, name);
	int index = 0;
	int r = netlink_talk(nl, nlh, link_index_cb, &index);
	if (r < 0)
		return r;
	return index > 0 ? index : -ENODEV;
}

int network_loopback_up(berth_error **err)
{
	/* Two ioctls on any socket: no netlink, so no rtnetlink socket to open, bind and read an ack from. */
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return error_errno(err, errno, "bring up lo: socket");
	struct ifreq ifr = { .ifr_name = "lo" };
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return error_errno(err, errno, "bring up lo");
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		return error_errno(err, errno, "bring up lo");
	return 0;
}

/* ---- linux.netDevices -------------------------------------------------------------------- */

/* An address to carry over: what RTM_NEWADDR needs, nothing tied to the old namespace. */
struct saved_address {
	struct ifaddrmsg ifa;
	uint32_t flags;
	uint8_t local[16], address[16], broadcast[4];
	bool has_local, has_address, has_broadcast;
};

struct address_list {
	int index;
	struct saved_address items[64];
	size_t len;
};

static int address_cb(const struct nlmsghdr *nlh, void *data)
{
	struct address_list *list = data;
	const struct ifaddrmsg *ifa = mnl.nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type != RTM_NEWADDR || (int) ifa->ifa_index != list->index)
		return MNL_CB_OK;
	struct saved_address a = { .ifa = *ifa, .flags = ifa->ifa_flags };
	size_t size = ifa->ifa_family == AF_INET6 ? 16 : 4;
	const struct nlattr *attr;
	for (attr = mnl.nlmsg_get_payload_offset(nlh, sizeof(*ifa));
	     mnl.attr_ok(attr, (int) ((char *) mnl.nlmsg_get_payload_tail(nlh) - (char *) attr)); attr = mnl.attr_next(attr)) {
		uint16_t type = mnl.attr_get_type(attr);
		const void *payload = mnl.attr_get_payload(attr);
		size_t len = mnl.attr_get_payload_len(attr);
		if (type == IFA_FLAGS && len == 4)
			memcpy(&a.flags, payload, 4);
		else if (type == IFA_LOCAL && len == size)
			memcpy(a.local, payload, size), a.has_local = true;
		else if (type == IFA_ADDRESS && len == size)
			memcpy(a.address, payload, size), a.has_address = true;
		else if (type == IFA_BROADCAST && len == 4)
			memcpy(a.broadcast, payload, 4), a.has_broadcast = true;
	}
	/* runtime-spec: the permanent addresses of global scope are kept; the kernel's own (link-local, dynamic) are not. */
	if (!(a.flags & IFA_F_PERMANENT) || ifa->ifa_scope != RT_SCOPE_UNIVERSE || list->len == ARRAY_SIZE(list->items))
		return MNL_CB_OK;
	list->items[list->len++] = a;
	return MNL_CB_OK;
}

static int addresses_save(struct netlink *nl, struct address_list *list)
{
	struct nlmsghdr *nlh = netlink_message(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl.nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	return netlink_talk(nl, nlh, address_cb, list);
}

static int address_add(struct netlink *nl, int index, const struct saved_address *a)
{
	size_t size = a->ifa.ifa_family == AF_INET6 ? 16 : 4;
	struct nlmsghdr *nlh = netlink_message(nl, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl.nlmsg_put_extra_header(nlh, sizeof(*ifa));
	*ifa = a->ifa;
	ifa->ifa_index = (uint32_t) index;
	if (a->has_local)
		mnl.attr_put(nlh, IFA_LOCAL, size, a->local);
	if (a->has_address)
		mnl.attr_put(nlh, IFA_ADDRESS, size, a->address);
	if (a->has_broadcast)
		mnl.attr_put(nlh, IFA_BROADCAST, 4, a->broadcast);
	mnl.attr_put_u32(nlh, IFA_FLAGS, a->flags);
	return netlink_talk(nl, nlh, NULL, NULL);
}

/* A netlink socket of the namespace netns_fd names: made there, berth itself stays where it is. */
static int netlink_open_in(struct netlink *nl, int netns_fd)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	int r = netlink_open(nl);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* berth would go on in the container's network: never */
	return r;
}

static int move_device(struct netlink *host, struct netlink *inside, int netns_fd, const char *host_name,
		       const char *name, berth_error **err)
{
	struct address_list *addresses = calloc(1, sizeof(*addresses));
	if (!addresses)
		return error_errno(err, ENOMEM, "linux.netDevices.%s", host_name);
	int r = addresses->index = link_index(host, host_name);
	if (r < 0) {
		r = error_errno(err, -r, "linux.netDevices.%s: find the interface", host_name);
		goto out;
	}
	if ((r = addresses_save(host, addresses)) < 0) {
		r = error_errno(err, -r, "linux.netDevices.%s: read its addresses", host_name);
		goto out;
	}
	/*
	 * The move keeps the host's name, so both names must be free inside
	 * (a "%d" template is the kernel's to fill). Checked before the move: a
	 * virtual device that fails later is destroyed with the container's namespace.
	 */
	const char *names[] = { host_name, name };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strchr(names[i], '%') && link_index(inside, names[i]) > 0) {
			r = error_new(err, EEXIST, "linux.netDevices.%s: an interface named \"%s\" already exists in the "
				      "container's network namespace", host_name, names[i]);
			goto out;
		}
	if ((r = link_set(host, addresses->index, 0, 0, NULL, netns_fd)) < 0) {
		r = error_errno(err, -r, "linux.netDevices.%s: move it into the container's network namespace", host_name);
		goto out;
	}
	int index = r = link_index(inside, host_name);
	if (r < 0) {
		r = error_errno(err, -r, "linux.netDevices.%s: find it in the container", host_name);
		goto out;
	}
	if (strcmp(name, host_name) != 0 && (r = link_set(inside, index, 0, 0, name, -1)) < 0) {
		r = error_errno(err, -r, "linux.netDevices.%s: rename it to \"%s\"", host_name, name);
		goto out;
	}
	for (size_t i = 0; i < addresses->len; i++)
		if ((r = address_add(inside, index, &addresses->items[i])) < 0) {
			r = error_errno(err, -r, "linux.netDevices.%s: restore its addresses", host_name);
			goto out;
		}
	if ((r = link_set(inside, index, IFF_UP, IFF_UP, NULL, -1)) < 0)
		r = error_errno(err, -r, "linux.netDevices.%s: set it up", host_name);
out:
	free(addresses);
	return r;
}

int network_move_devices(const struct oci_linux *l, int netns_fd, berth_error **err)
{
	if (!l || !l->net_devices.len)
		return 0;
	int r = load_libmnl(err);
	if (r < 0)
		return r;
	struct netlink *nl = calloc(2, sizeof(*nl));
	if (!nl)
		return error_errno(err, ENOMEM, "linux.netDevices");
	r = netlink_open(&nl[0]);
	if (r < 0)
		r = error_errno(err, -r, "linux.netDevices: open netlink");
	else if ((r = netlink_open_in(&nl[1], netns_fd)) < 0)
		r = error_errno(err, -r, "linux.netDevices: open netlink in the container's network namespace");
	for (size_t i = 0; r == 0 && i < l->net_devices.len; i++) {
		const char *host_name = l->net_devices.keys[i], *name = l->net_devices.values[i].name;
		r = move_device(&nl[0], &nl[1], netns_fd, host_name, name && name[0] ? name : host_name, err);
	}
	netlink_close(&nl[0]);
	netlink_close(&nl[1]);
	free(nl);
	return r;
}
