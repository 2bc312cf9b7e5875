#!/usr/bin/env bash
# Start-up and monitoring overhead of `hazmat run`, against the same work
# unsandboxed and under bubblewrap with comparable isolation flags.
#
#   bench/sandbox/run_bench.sh [HAZMAT_BINARY] [STARTS] [WORKLOAD_REPEATS] [ROUNDS]
#
# Start-up: the mean wall time of runs of /bin/true (STARTS in all, default
# 50). Workload: one sandbox running `python3 -c "import json, email,
# http.client"` WORKLOAD_REPEATS times (default 30): process starts and
# hundreds of opens per repeat, so the cost of every notified syscall shows.
# The configurations take turns for ROUNDS rounds (default 5) and each
# figure is the median over the rounds, so the load of a shared machine
# weighs on all of them alike. Prints a Markdown table with the ratios;
# needs bwrap (Debian's bubblewrap) and /usr/bin/python3. Runs as whoever
# calls it (root gets cgroup v1 limits, other users rlimits).
set -euo pipefail

hazmat=$(realpath "${1:-build/hazmat}")
readonly hazmat
readonly starts=${2:-50}
readonly repeats=${3:-30}
readonly rounds=${4:-5}
# Debian's interpreter, not whatever wrapper PATH finds first.
readonly python=/usr/bin/python3

for tool in bwrap "$python"; do
  if ! command -v "$tool" >/dev/null; then
    echo "run_bench.sh: needs $tool (apt-get install bubblewrap python3)" >&2
    exit 2
  fi
done

work=$(mktemp -d /tmp/hazmat-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/project" "$work/state"
echo "print('hello')" >"$work/project/main.py"
export HAZMAT_STATE_DIR="$work/state"
cd "$work/project"

readonly workload="for i in \$(seq $repeats); do $python -c 'import json, email, http.client'; done"

# Comparable isolation: every namespace, a fresh root with /usr read-only,
# new /proc, /dev and tmpfs for /tmp and home, the project bound writable as
# the working directory, a clean environment, no capabilities, a new session.
bwrap_run() {
  bwrap --unshare-all --die-with-parent --new-session --cap-drop ALL \
    --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/sbin /sbin \
    --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
    --ro-bind /etc/ld.so.cache /etc/ld.so.cache --ro-bind /etc/alternatives /etc/alternatives \
    --proc /proc --dev /dev --tmpfs /tmp --tmpfs /home \
    --bind "$work/project" /home/user/project --chdir /home/user/project \
    --hostname sandbox --clearenv --setenv PATH /usr/bin:/bin --setenv HOME /home/user \
    "$@"
}

hazmat_run() {
  "$hazmat" -q run -o /dev/null -- "$@" </dev/null
}

hazmat_unmonitored() {
  "$hazmat" -q run --no-monitor -o /dev/null -- "$@" </dev/null
}

# Mean milliseconds per call of "$@" over N calls.
mean_ms() {
  local n=$1
  shift
  local start end
  start=$(date +%s%N)
  for ((i = 0; i < n; i++)); do
    "$@" >/dev/null 2>&1 || true
  done
  end=$(date +%s%N)
  awk -v ns=$((end - start)) -v n="$n" 'BEGIN { printf "%.2f", ns / n / 1e6 }'
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Warm the caches (and hazmat's compiled seccomp program) first.
bwrap_run /bin/true >/dev/null 2>&1 || true
hazmat_run /bin/true >/dev/null 2>&1 || true

declare -a true_plain true_bwrap true_hazmat work_plain work_bwrap work_hazmat work_unmonitored
per_round=$(((starts + rounds - 1) / rounds))
for ((round = 0; round < rounds; round++)); do
  true_plain+=("$(mean_ms "$per_round" /bin/true)")
  true_bwrap+=("$(mean_ms "$per_round" bwrap_run /bin/true)")
  true_hazmat+=("$(mean_ms "$per_round" hazmat_run /bin/true)")
  work_plain+=("$(mean_ms 1 sh -c "$workload")")
  work_bwrap+=("$(mean_ms 1 bwrap_run /bin/sh -c "$workload")")
  work_hazmat+=("$(mean_ms 1 hazmat_run /bin/sh -c "$workload")")
  work_unmonitored+=("$(mean_ms 1 hazmat_unmonitored /bin/sh -c "$workload")")
done

t_plain=$(median "${true_plain[@]}")
t_bwrap=$(median "${true_bwrap[@]}")
t_hazmat=$(median "${true_hazmat[@]}")
w_plain=$(median "${work_plain[@]}")
w_bwrap=$(median "${work_bwrap[@]}")
w_hazmat=$(median "${work_hazmat[@]}")
w_unmonitored=$(median "${work_unmonitored[@]}")
if [[ $(id -u) -eq 0 ]]; then limits="cgroup v1 limits"; else limits="rlimits"; fi

echo "Machine: $(nproc) CPUs, kernel $(uname -r), user $(id -un) ($limits); load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg); median of $rounds rounds."
echo
echo "| measurement | unsandboxed | bwrap | hazmat run | hazmat / bwrap | hazmat / unsandboxed |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| start-up: \`/bin/true\`, mean of $per_round per round (ms) | $t_plain | $t_bwrap |" \
  "$t_hazmat | $(ratio "$t_hazmat" "$t_bwrap") | $(ratio "$t_hazmat" "$t_plain") |"
echo "| workload: $repeats x \`python3 -c \"import json, email, http.client\"\` (ms) |" \
  "$w_plain | $w_bwrap | $w_hazmat | $(ratio "$w_hazmat" "$w_bwrap") | $(ratio "$w_hazmat" "$w_plain") |"
echo "| the same workload, \`--no-monitor\` (ms) | $w_plain | $w_bwrap | $w_unmonitored |" \
  "$(ratio "$w_unmonitored" "$w_bwrap") | $(ratio "$w_unmonitored" "$w_plain") |"
