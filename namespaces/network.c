#include "namespaces/network.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <time.h>

int network_loopback_up(berth_error **err)
{
	char buf[8192]; /* MNL_SOCKET_BUFFER_SIZE is a runtime value (a VLA); one page pair is plenty */
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int r = 0;

	if (!nl)
		return error_errno(err, errno, "open netlink to bring up lo");
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (unsigned) time(NULL);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int) if_nametoindex("lo");
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	if (ifm->ifi_index == 0) {
		r = error_errno(err, errno ? errno : ENODEV, "find the loopback interface");
		goto out;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 || mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = error_errno(err, errno, "bring up lo");
		goto out;
	}
	ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0 || mnl_cb_run(buf, (size_t) n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), NULL, NULL) < 0)
		r = error_errno(err, errno, "bring up lo");
out:
	mnl_socket_close(nl);
	return r;
}
