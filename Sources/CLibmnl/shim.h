#ifndef VNF_IPSEC_CLIBMNL_SHIM_H
#define VNF_IPSEC_CLIBMNL_SHIM_H
/* glibc's netinet/in.h first: it tells the kernel's uapi headers (linux/in6.h, pulled in by
   linux/if_tunnel.h) not to define in6_addr a second time, which Swift's module importer rejects. */
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/if_tunnel.h>
#include <linux/veth.h>
#include <unistd.h>
#include <sys/syscall.h>

/* setns(2) is only declared with _GNU_SOURCE, which a Swift module cannot set for glibc; call it directly. */
static inline int vnf_setns_net(int fd) {
    return (int)syscall(SYS_setns, fd, 0x40000000 /* CLONE_NEWNET */);
}
#endif
