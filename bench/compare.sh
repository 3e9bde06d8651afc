#!/usr/bin/env bash
# bench/compare.sh: Ketenpoort side by side with what a partner would
# otherwise deploy (issue 8). In one run, with the same payload (one
# noa.Assessment per call, 64 subjects in turn) and the same concurrency
# levels, all on loopback with mutual TLS:
#
#   (a) direct  the reference source server, called directly
#   (b) nginx   nginx as a plain gRPC proxy (grpc_pass, upstream keepalive,
#               access log on) in front of the same source
#   (c) gw-up   Ketenpoort with the grpc_upstream adapter to the same source:
#               policy with a consent condition, field filtering, durable audit
#   (d) gw-db   Ketenpoort with the in-process SQLite source
#
# Prints a table with the ratios c/b and d/a, the p99 at half of each peak,
# and the gateways' peak RSS; without --no-write it also replaces the
# comparison section of docs/performance.md, with the machine description.
#
#   bench/compare.sh [--seconds 10] [--levels "1 8 32 64 128 256"] [--rounds 3] [--build build]
#                    [--no-write]
#   bench/compare.sh --targets gw-db --levels 32 --seconds 30   # to profile one
#   bench/compare.sh --pin   # servers share CPU 0, the load driver has CPU 1
#   bench/compare.sh --smoke   # 5 s in all; checks that every call succeeded
#                              # and that the gateways audited every call
# Everything it starts stops when it ends (trap); every run is bounded.
# KEEP_WORK=1 keeps its temporary directory (logs, runs.txt) for a look after.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
seconds=10
levels="1 8 32 64 128 256"
write=1
smoke=0
subjects=64
targets="direct nginx gw-up gw-db"
pin=0
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --levels) levels=$2; shift 2 ;;
    --no-write) write=0; shift ;;
    --targets) targets=$2; write=0; shift 2 ;;  # a subset, for profiling
    --pin) pin=1; shift ;;  # servers on CPU 0, the load driver on CPU 1
    --rounds) rounds=$2; shift 2 ;;
    --smoke) smoke=1; write=0; seconds=0.5; levels="4"; subjects=8; rounds=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

for binary in gateway/ketenpoort-gateway tools/ketenpoort-source tools/ketenpoort-fixtures \
              tools/ketenctl bench/ketenpoort-load bench/ketenpoort-wake-jitter; do
  [ -x "$build/$binary" ] || { echo "missing $build/$binary: build first" >&2; exit 2; }
done
command -v nginx >/dev/null || { echo "nginx is not installed (tools/install-deps.sh)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed" >&2; exit 2; }

B=$(realpath "$build")
server_cpu=()
driver_cpu=()
if [ "$pin" -eq 1 ]; then
  server_cpu=(taskset -c 0)
  driver_cpu=(taskset -c 1)
fi
work=$(mktemp -d /tmp/ketenpoort-compare.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port for nginx, which cannot report one it picked itself.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
  echo "no free port" >&2; exit 1
}

# Starts a server that writes its bound port to a ready file, and waits for
# it: port_of[name] and pid_of[name]. (Not in a command substitution: the
# server would hold its pipe open.)
declare -A port_of pid_of
start_ready() {
  local name=$1; shift
  "${server_cpu[@]}" "$@" --ready-file "$work/$name.port" >"$work/$name.out" \
    2>"$work/$name.log" &
  pids+=($!)
  pid_of[$name]=$!
  for _ in $(seq 1 200); do
    if [ -s "$work/$name.port" ]; then
      port_of[$name]=$(cat "$work/$name.port")
      return
    fi
    sleep 0.1
  done
  echo "$name did not start:" >&2; cat "$work/$name.log" >&2; exit 1
}

peak_rss_mb() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

C="$work/certs"
bash certs-dev/make-dev-certs.sh --force "$C" >/dev/null
"$B/tools/ketenpoort-fixtures" --db "$work/fixtures.db" --persons 2000 --show 1000 \
  >"$work/fixtures.txt"
awk '$NF=="Woerden" {print $1}' "$work/fixtures.txt" | head -"$subjects" >"$work/subjects.txt"

# The source, and nginx in front of it.
start_ready source "$B/tools/ketenpoort-source" --listen 127.0.0.1:0 \
  --db "$work/fixtures.db" --cert "$C/source.crt" --key "$C/source.key" --client-ca "$C/ca.crt"
source_port=${port_of[source]}
nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log $work/nginx/access.log;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream source {
    server 127.0.0.1:$source_port;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$nginx_port ssl http2;
    ssl_certificate $C/server.crt;
    ssl_certificate_key $C/server.key;
    ssl_client_certificate $C/ca.crt;
    ssl_verify_client on;
    location / {
      grpc_pass grpcs://source;
      grpc_ssl_certificate $C/ketenpoort-gateway.crt;
      grpc_ssl_certificate_key $C/ketenpoort-gateway.key;
      grpc_ssl_trusted_certificate $C/ca.crt;
      grpc_ssl_verify on;
      grpc_ssl_name localhost;
      grpc_ssl_server_name on;
      grpc_ssl_session_reuse on;
    }
  }
}
NGINX
"${server_cpu[@]}" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx/stdout.log" \
  2>"$work/nginx/stderr.log" &
pids+=($!)
pid_of[nginx]=$!

# Two gateways, each with its own state and audit log.
gateway_config() {  # name, sources yaml
  mkdir -p "$work/$1"
  cat >"$work/$1/gateway.yaml" <<YAML
listen: 127.0.0.1:0
tls: {server_cert: $C/server.crt, server_key: $C/server.key, client_ca: $C/ca.crt}
policies_dir: $PWD/policies
audit: {database: audit.db, pseudonym_key_file: $C/pseudonym.key, checkpoint_key_file: $C/checkpoint.key,
  head_file: audit-head.note}
state: {database: state.db}
sources:
$2
YAML
}
gateway_config gw-up "  - name: coa-tvs
    owner: coa
    kind: grpc_upstream
    target: 127.0.0.1:$source_port
    tls: {ca: $C/ca.crt, cert: $C/ketenpoort-gateway.crt, key: $C/ketenpoort-gateway.key, server_name: localhost}
    record_types: [coa.Koppeling, noa.Assessment]"
gateway_config gw-db "  - name: coa-tvs
    owner: coa
    kind: sqlite_fixture
    database: $work/fixtures.db
    record_types: [coa.Koppeling, noa.Assessment]"
declare -A gateway_port gateway_pid
for name in gw-up gw-db; do
  # Relative paths in the config resolve against its directory.
  start_ready "$name" "$B/gateway/ketenpoort-gateway" --config "$work/$name/gateway.yaml"
  gateway_port[$name]=${port_of[$name]}
  gateway_pid[$name]=${pid_of[$name]}
done

# Each subject: linked to Woerden and moving next week, registered with the
# Woerden GP, and consenting to the GP seeing the care signal and languages.
today=$(date +%F)
for name in gw-up gw-db; do
  K=("$B/tools/ketenctl")
  client=(--addr "127.0.0.1:${gateway_port[$name]}" --certs-dir "$C")
  while read -r subject; do
    "${K[@]}" relationship koppeling "${client[@]}" --as coa --actor-role casemanager \
      --subject "$subject" --municipality 0632 --linked-on "$today" \
      --move-date "$(date -d '+7 days' +%F)" >/dev/null
    "${K[@]}" relationship gp-registration "${client[@]}" --as gemeente-woerden \
      --actor-role maatschappelijk-begeleider --subject "$subject" \
      --practice huisartsenpraktijk-woerden --registered-on "$today" \
      --evidence "bench-$subject" >/dev/null
    "${K[@]}" consent grant "${client[@]}" --as gemeente-woerden \
      --actor-role maatschappelijk-begeleider --subject "$subject" \
      --recipient huisartsenpraktijk-woerden --purpose CONTINUITY_OF_CARE \
      --category SIGNAL --category LANGUAGE --from "$today" \
      --until "$(date -d '+1 year' +%F)" --language ar --evidence "bench-$subject" >/dev/null
  done <"$work/subjects.txt"
done

access_count() {
  sqlite3 "file:$work/$1/audit.db?mode=ro" \
    "SELECT count(*) FROM audit_entry" 2>/dev/null || echo 0
}

# target name -> load driver arguments
declare -A target_args
target_args[direct]="--target 127.0.0.1:$source_port --call source --server-name localhost \
  --cert $C/ketenpoort-gateway.crt --key $C/ketenpoort-gateway.key"
target_args[nginx]="--target 127.0.0.1:$nginx_port --call source --server-name localhost \
  --cert $C/huisartsenpraktijk-woerden.crt --key $C/huisartsenpraktijk-woerden.key"
for name in gw-up gw-db; do
  target_args[$name]="--target 127.0.0.1:${gateway_port[$name]} --call gateway \
    --server-name localhost --cert $C/huisartsenpraktijk-woerden.crt \
    --key $C/huisartsenpraktijk-woerden.key --purpose CONTINUITY_OF_CARE --actor-role huisarts"
done
warmup=1
[ "$smoke" -eq 1 ] && warmup=0.2

load() {  # target, extra args...
  local target=$1; shift
  # shellcheck disable=SC2086
  "${driver_cpu[@]}" "$B/bench/ketenpoort-load" ${target_args[$target]} --ca "$C/ca.crt" \
    --subjects "$work/subjects.txt" --record-type noa.Assessment --seconds "$seconds" \
    --warmup "$warmup" "$@" || true
}
json() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" <<<"$1" | tr -d '"'; }

# CPU time (clock ticks) of the server processes behind each target, so the
# table can show what one call costs each of them.
ticks_per_second=$(getconf CLK_TCK)
server_pids() {
  case "$1" in
    direct) echo "${pid_of[source]}" ;;
    nginx)  # the source, nginx's master and its workers
      echo "${pid_of[source]} ${pid_of[nginx]} $(cat "/proc/${pid_of[nginx]}/task/${pid_of[nginx]}/children")" ;;
    gw-up) echo "${pid_of[source]} ${gateway_pid[gw-up]}" ;;
    gw-db) echo "${gateway_pid[gw-db]}" ;;
  esac
}
cpu_ticks() {
  local sum=0 pid
  for pid in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo "$sum"
}
us_per_call() {  # clock ticks, calls -> microseconds of CPU per call
  awk -v t="$1" -v hz="$ticks_per_second" -v n="${2:-0}" \
    'BEGIN {printf "%.0f", (n > 0 ? t * 1e6 / hz / n : 0)}'
}

# Each round runs every level, and at each level every target, in an order
# that rotates per round: this VM's speed drifts by tens of percent over
# minutes, so targets compared with each other run minutes apart at most,
# and the table reports the median round.
runs="$work/runs.txt"
: >"$runs"
failures=0
round_order() {  # round -> the targets, rotated
  local -a list=($targets)
  local n=${#list[@]} shift_by=$(($1 % ${#list[@]})) i
  for ((i = 0; i < n; i++)); do echo -n "${list[$(((i + shift_by) % n))]} "; done
}
for round in $(seq 1 "$rounds"); do
  for level in $levels; do
    for target in $(round_order "$round"); do
      before=0
      case "$target" in gw-*) before=$(access_count "$target") ;; esac
      read -r -a watched <<<"$(server_pids "$target")"
      ticks_before=$(cpu_ticks "${watched[@]}")
      out=$(load "$target" --mode closed --concurrency "$level")
      ticks=$(($(cpu_ticks "${watched[@]}") - ticks_before))
      errors=$(json "$out" errors)
      calls=$(json "$out" calls_total)
      printf '%s %s %s %s %s %s %s %s %s\n' "$target" "$level" "$round" "$(json "$out" throughput)" \
        "$(json "$out" p50_us)" "$(json "$out" p99_us)" "${errors:-1}" \
        "$(us_per_call "$ticks" "$calls")" \
        "$(awk -v s="$(json "$out" cpu_seconds)" -v n="${calls:-0}" \
          'BEGIN {printf "%.0f", (n > 0 ? s * 1e6 / n : 0)}')" >>"$runs"
      if [ "${errors:-1}" != "0" ]; then
        echo "$target at $level: ${errors:-no} errors: $out" >&2
        failures=$((failures + 1))
      fi
      case "$target" in gw-*)
        # Every call leaves exactly one audit entry, durable before the answer.
        sleep 0.2
        audited=$(($(access_count "$target") - before))
        if [ "$audited" != "$calls" ]; then
          echo "$target at $level: $calls calls but $audited audit entries" >&2
          failures=$((failures + 1))
        fi ;;
      esac
    done
  done
done

# Per target and level, the median over the rounds of each column
# (errors: the sum): target level calls/s p50 p99 errors server-us driver-us.
results="$work/results.txt"
median() {  # of the numbers on stdin, one per line
  sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
median_of() {  # column, target, level
  awk -v c="$1" -v t="$2" -v l="$3" '$1 == t && $2 == l {print $c}' "$runs" | median
}
: >"$results"
for target in $targets; do
  for level in $levels; do
    printf '%s %s %s %s %s %s %s %s\n' "$target" "$level" "$(median_of 4 "$target" "$level")" \
      "$(median_of 5 "$target" "$level")" "$(median_of 6 "$target" "$level")" \
      "$(awk -v t="$target" -v l="$level" '$1 == t && $2 == l {e += $7} END {print e}' "$runs")" \
      "$(median_of 8 "$target" "$level")" "$(median_of 9 "$target" "$level")" >>"$results"
  done
done
declare -A peak peak_level
for target in $targets; do
  read -r peak[$target] peak_level[$target] < <(awk -v t="$target" \
    '$1 == t && $3 > best {best = $3; level = $2} END {print best + 0, level}' "$results")
done

if [ "$smoke" -eq 1 ] || [ "$targets" != "direct nginx gw-up gw-db" ]; then
  cat "$results"
  [ "$failures" -eq 0 ] && echo "smoke: every call succeeded and was audited" && exit 0
  exit 1
fi

# p99 at half of each target's peak, open loop, median over the rounds;
# with p50, how late the driver itself started calls (p99), what a call
# cost the servers at that rate, and how busy the whole machine was. Half
# of a peak is not half of the machine: at the concurrency an open loop
# gives, less is shared than at the peak level, so each call costs more.
machine_ticks() {  # busy and idle clock ticks of all CPUs so far
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat
}
declare -A half_rate half_p50 half_p99 half_lag half_cpu half_busy
for target in $targets; do
  half_rate[$target]=$(awk -v p="${peak[$target]}" 'BEGIN {printf "%d", p / 2}')
  read -r -a watched <<<"$(server_pids "$target")"
  for round in $(seq 1 "$rounds"); do
    ticks_before=$(cpu_ticks "${watched[@]}")
    read -r busy_before idle_before < <(machine_ticks)
    out=$(load "$target" --mode open --rate "${half_rate[$target]}")
    read -r busy_after idle_after < <(machine_ticks)
    ticks=$(($(cpu_ticks "${watched[@]}") - ticks_before))
    echo "$(json "$out" p50_us) $(json "$out" p99_us) $(json "$out" start_lag_p99_us)" \
      "$(us_per_call "$ticks" "$(json "$out" calls_total)")" \
      "$(awk -v b=$((busy_after - busy_before)) -v i=$((idle_after - idle_before)) \
        'BEGIN {printf "%.0f", (b + i > 0 ? 100 * b / (b + i) : 0)}')"
  done >"$work/half-$target.txt"
  half_p50[$target]=$(awk '{print $1}' "$work/half-$target.txt" | median)
  half_p99[$target]=$(awk '{print $2}' "$work/half-$target.txt" | median)
  half_lag[$target]=$(awk '{print $3}' "$work/half-$target.txt" | median)
  half_cpu[$target]=$(awk '{print $4}' "$work/half-$target.txt" | median)
  half_busy[$target]=$(awk '{print $5}' "$work/half-$target.txt" | median)
done
# The floor under those tails: how late this machine wakes an idle thread.
jitter=$("${driver_cpu[@]}" "$B/bench/ketenpoort-wake-jitter" --seconds 3)
rss_up=$(peak_rss_mb "${gateway_pid[gw-up]}")
rss_db=$(peak_rss_mb "${gateway_pid[gw-db]}")

table="$work/table.md"
{
  echo "| target | concurrency | calls/s | p50 | p99 | errors | server CPU per call | driver CPU per call |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  awk '{printf "| %s | %s | %.0f | %.2f ms | %.2f ms | %s | %s µs | %s µs |\n",
        $1, $2, $3, $4/1000, $5/1000, $6, $7, $8}' "$results"
  echo
  echo "Open loop at half of each peak (the median of $rounds runs each):"
  echo
  echo "| target | calls/s | p50 | p99 | driver start lag p99 | server CPU per call | machine busy |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for target in $targets; do
    awk -v t="$target" -v r="${half_rate[$target]}" -v p50="${half_p50[$target]}" \
      -v p99="${half_p99[$target]}" -v lag="${half_lag[$target]}" -v cpu="${half_cpu[$target]}" \
      -v busy="${half_busy[$target]}" \
      'BEGIN {printf "| %s | %d | %.2f ms | %.2f ms | %.2f ms | %s µs | %s%% |\n", t, r, p50 / 1000,
              p99 / 1000, lag / 1000, cpu, busy}'
  done
  echo
  echo "Timed wake-ups of an idle thread on this machine are late by p50 $(json "$jitter" p50_us) µs,"
  echo "p99 $(json "$jitter" p99_us) µs, p99.9 $(json "$jitter" p999_us) µs (ketenpoort-wake-jitter, 3 s)."
  echo
  echo "| measure | value | target |"
  echo "|---|---:|---:|"
  awk -v c="${peak[gw-up]}" -v b="${peak[nginx]}" -v cl="${peak_level[gw-up]}" \
    -v bl="${peak_level[nginx]}" \
    'BEGIN {printf "| c/b: gateway with upstream / nginx, peak calls/s (at %s / %s outstanding) | %.2f | >= 1.2 |\n",
            cl, bl, c / b}'
  awk -v d="${peak[gw-db]}" -v a="${peak[direct]}" -v dl="${peak_level[gw-db]}" \
    -v al="${peak_level[direct]}" \
    'BEGIN {printf "| d/a: gateway with SQLite / direct, peak calls/s (at %s / %s outstanding) | %.2f | >= 0.6 |\n",
            dl, al, d / a}'
  # The same ratios at each level, so a peak reached at another
  # concurrency cannot hide how the two compare at equal load.
  for level in $levels; do
    awk -v l="$level" '$2 == l {rps[$1] = $3}
      END {printf "| at %s outstanding: c/b, d/a | %.2f, %.2f | |\n", l,
           rps["gw-up"] / rps["nginx"], rps["gw-db"] / rps["direct"]}' "$results"
  done
  for target in gw-up gw-db nginx; do
    awk -v t="$target" -v x="${half_p99[$target]}" -v a="${half_p99[direct]}" \
      'BEGIN {printf "| p99 at half of peak, %s / direct | %.2f ms / %.2f ms = %.2f | <= 2 |\n",
              t, x / 1000, a / 1000, x / a}'
  done
  echo "| gateway peak RSS (gw-up, gw-db) | $rss_up MB, $rss_db MB | <= 150 MB |"
} >"$table"
cat "$table"

if [ "$write" -eq 1 ]; then
  machine="$(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), \
$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $(nginx -v 2>&1 | sed 's/.*: //'), \
gRPC $(dpkg-query -W -f='${Version}' libgrpc++-dev 2>/dev/null)"
  section="$work/section.md"
  {
    echo "<!-- compare:begin (written by bench/compare.sh; do not edit by hand) -->"
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $machine."
    echo "Closed loop, $seconds s per level after 1 s of warm-up, in $rounds rounds with the"
    echo "targets interleaved; each figure is the median round. Server CPU per call"
    echo "counts every server process behind the target (nginx: nginx and the source)."
    if [ "$pin" -eq 1 ]; then
      echo "The servers share CPU 0 (taskset) and the load driver has CPU 1."
    else
      echo "The load driver runs on the same machine and shares its two cores with the servers."
    fi
    echo
    cat "$table"
    echo "<!-- compare:end -->"
  } >"$section"
  doc=docs/performance.md
  if grep -q "<!-- compare:begin" "$doc"; then
    awk -v f="$section" '
      /<!-- compare:begin/ {while ((getline line < f) > 0) print line; skip = 1; next}
      /<!-- compare:end/ {skip = 0; next}
      !skip {print}' "$doc" >"$work/doc.md"
    cp "$work/doc.md" "$doc"
  else
    { echo; echo "## Side by side: direct, nginx, Ketenpoort (issue 8)"; echo; cat "$section"; } >>"$doc"
  fi
  echo "wrote the comparison to $doc"
fi
