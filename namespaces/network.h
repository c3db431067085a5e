/* The container's network namespace: a new one gets its loopback interface up. */
#pragma once

#include "util/error.h"

/* Bring "lo" up in the current network namespace (RTM_NEWLINK over netlink). */
int network_loopback_up(berth_error **err);
