# Shared by the lab benchmarks (sourced after Tests/Lab/lib/lab.sh). Each benchmark appends one line
# "VARIANT VALUE ..." per measurement to /tmp/rounds.

# median VARIANT: the median of that variant's VALUEs in /tmp/rounds (empty when it has none).
median() { grep "^$1 " /tmp/rounds | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# flush_sas: both sites' SAs and policies gone, so that the next variant starts from nothing.
flush_sas() { for s in siteA siteB; do ip -n $s xfrm state flush; ip -n $s xfrm policy flush; done; }
