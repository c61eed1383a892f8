#ifndef VNF_IPSEC_CLIBMNL_SHIM_H
#define VNF_IPSEC_CLIBMNL_SHIM_H
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/if_tunnel.h>
#include <linux/veth.h>
#endif
