/* The container's network namespace: loopback up in a new one, and linux.netDevices moved in (libmnl). */
#pragma once

#include "oci/config.h"
#include "util/error.h"

/* Bring "lo" up in the current network namespace (RTM_NEWLINK over netlink). */
int network_loopback_up(berth_error **err);

/*
 * linux.netDevices: move each named interface from berth's network namespace
 * into netns_fd's, renamed as asked, with its permanent global addresses and
 * up (runtime-spec 1.3.0). They are never moved back: the kernel returns
 * physical devices to the host and destroys virtual ones with the namespace.
 */
int network_move_devices(const struct oci_linux *l, int netns_fd, berth_error **err);
