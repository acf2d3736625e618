#!/bin/bash
# usage: m.sh PID PORT [mode] [rate] [secs] — server CPU-s per Mq, voluntary switches per query
PID=$1; PORT=$2; MODE=${3:-udp}; RATE=${4:-50000}; SECS=${5:-5}
tree_ticks() { awk "{print \$14+\$15}" /proc/$PID/stat; }
vcs() { cat /proc/$PID/task/*/status | awk '/^voluntary/{s+=$2} END{print s}'; }
a=$(tree_ticks); va=$(vcs)
dnsperf -s 127.0.0.1 -p $PORT -d /tmp/query_prof/bench.example.queries -m $MODE -c 4 -l $SECS -Q $RATE -q 1000 -t 2 -b 4096 > /tmp/query_prof/last.txt 2>&1
b=$(tree_ticks); vb=$(vcs)
c=$(awk '/Queries completed/{print $3}' /tmp/query_prof/last.txt); l=$(awk '/Queries lost/{print $3}' /tmp/query_prof/last.txt); q=$(awk '/Queries per second/{print $4}' /tmp/query_prof/last.txt); lat=$(awk '/Average Latency/{print $4}' /tmp/query_prof/last.txt)
echo "$MODE $RATE: completed $c lost $l qps $q lat $lat cpu_s_per_mq $(echo "scale=2; ($b-$a)*10000/$c" | bc) vcs_per_q $(echo "scale=3; ($vb-$va)/$c" | bc) load $(cut -d' ' -f1 /proc/loadavg)"
