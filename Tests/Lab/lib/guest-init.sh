#!/bin/sh
# PID 1 of the user-mode-Linux guest: prepares a writable, module-capable system on top of the host's
# read-only root, runs one scenario, writes its verdict to the host folder, and powers off.
# The kernel hands us LAB_ROOT, LAB_RESULTS, LAB_SCENARIO (the scenario's folder, relative to LAB_ROOT),
# LAB_BUILD, LAB_TIMEOUT and (for the lab benchmarks) BENCH_* from its command line (no spaces there).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sys /sys
# The checkout may live under /tmp (CI clones), which gets a tmpfs below: reach it through its own hostfs
# mount on a folder no site covers. Read-only, as / is: guests running side by side share the checkout.
for dir in /mnt /srv /opt; do
    if [ -d "$dir" ] && mount -r -t hostfs none "$dir" -o "$LAB_ROOT" 2>/dev/null; then LAB_ROOT=$dir; break; fi
done
export LAB_ROOT
for d in /tmp /run /var/tmp; do mount -t tmpfs tmpfs $d; done
mkdir -p /run/netns /tmp/modroot/lib/modules
ln -s /usr/lib/uml/modules/$(uname -r) /tmp/modroot/lib/modules/$(uname -r)
printf '#!/bin/sh\nexec /usr/sbin/modprobe -d /tmp/modroot "$@"\n' > /tmp/modprobe; chmod +x /tmp/modprobe
echo /tmp/modprobe > /proc/sys/kernel/modprobe
# Fallback tunnels (ip_vti0, ip6_vti0) only in the initial namespace: in a site namespace ip_vti0 would
# capture every ESP packet, and policy-based tunnels fail the inbound policy check (XfrmInTmplMismatch).
sysctl -qw net.core.fb_tunnels_only_for_init_net=1
# The NAT scenario uses legacy iptables NAT (this UML kernel has no nf_tables NAT chains); preload it.
for m in ip_vti ip6_vti esp4 esp6 xfrm_user veth ip_tables iptable_nat xt_nat nf_nat nf_conntrack; do /tmp/modprobe $m 2>/dev/null; done
mkdir -p /tmp/results && mount -t hostfs none /tmp/results -o "$LAB_RESULTS"
export LAB_BUILD BENCH_ROUNDS BENCH_SECONDS BENCH_PROPOSALS BENCH_VTI_MTU
cd "$LAB_ROOT/Tests/Lab"
start=$(date +%s.%N)
timeout "${LAB_TIMEOUT:-240}" sh "$LAB_ROOT/$LAB_SCENARIO/test.sh" > /tmp/results/output.log 2>&1
rc=$?
end=$(date +%s.%N)
echo "$rc $(echo "$end - $start" | bc)" > /tmp/results/verdict
sync
poweroff -f
