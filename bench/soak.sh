#!/usr/bin/env bash
# bench/soak.sh: the gateway for half an hour at half of its peak (issue 23,
# item 12). Not in CI: it takes as long as it says.
#
# One gateway (SQLite, in-process source, dev certificates made for the
# run) gets, all at once and for the whole run:
#   - GetRecord calls, open loop at half the peak a short closed-loop run
#     measures first (or --rate);
#   - privacy officers' queries and access reports, one every second;
#   - consent grants and hand-overs sent, one every two seconds;
#   - Watch streams, four at a time, each reconnecting every 30 s;
#   - a SIGHUP (policies, TLS files, CRLs reloaded) every minute.
# It samples the gateway's memory every 10 s, and at the end reports RSS
# growth after warm-up, every error, and whether the audit log verifies.
#
#   bench/soak.sh [--minutes 30] [--warmup-minutes 5] [--rate N] [--build build]
#   bench/soak.sh --minutes 2 --warmup-minutes 0.5   # a quick look
# Everything it starts stops when it ends (trap); every part is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
minutes=30
warmup_minutes=5
rate=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --warmup-minutes) warmup_minutes=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
for binary in gateway/ketenpoort-gateway tools/ketenpoort-fixtures tools/ketenctl \
              bench/ketenpoort-load; do
  [ -x "$build/$binary" ] || { echo "missing $build/$binary: build first" >&2; exit 2; }
done

B=$(realpath "$build")
work=$(mktemp -d /tmp/ketenpoort-soak.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
seconds=$(awk -v m="$minutes" 'BEGIN {printf "%d", m * 60}')
warmup_seconds=$(awk -v m="$warmup_minutes" 'BEGIN {printf "%d", m * 60}')

C="$work/certs"
bash certs-dev/make-dev-certs.sh --force "$C" >/dev/null
"$B/tools/ketenpoort-fixtures" --db "$work/fixtures.db" --persons 2000 --show 1000 \
  >"$work/fixtures.txt"
awk '$NF=="Woerden" {print $1}' "$work/fixtures.txt" | head -64 >"$work/subjects.txt"

cat >"$work/gateway.yaml" <<YAML
listen: 127.0.0.1:0
tls: {server_cert: $C/server.crt, server_key: $C/server.key, client_ca: $C/ca.crt}
policies_dir: $PWD/policies
audit: {database: audit.db, pseudonym_key_file: $C/pseudonym.key, checkpoint_key_file: $C/checkpoint.key,
  head_file: audit-head.note}
state: {database: state.db}
handover: {database: handover.db, master_key_file: $C/handover-master.key}
sources:
  - name: coa-tvs
    owner: coa
    kind: sqlite_fixture
    database: $work/fixtures.db
    record_types: [coa.Koppeling, noa.Assessment]
YAML
"$B/gateway/ketenpoort-gateway" --config "$work/gateway.yaml" --ready-file "$work/port" \
  >"$work/gateway.out" 2>"$work/gateway.log" &
gateway=$!
pids+=("$gateway")
for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "the gateway did not start:" >&2; cat "$work/gateway.log" >&2; exit 1; }
addr="127.0.0.1:$(cat "$work/port")"
K=("$B/tools/ketenctl")
client=(--addr "$addr" --certs-dir "$C")

# Each subject linked to Woerden, registered with the Woerden GP, and
# consenting to the GP seeing the care signal and languages.
today=$(date +%F)
while read -r subject; do
  "${K[@]}" relationship koppeling "${client[@]}" --as coa --actor-role casemanager \
    --subject "$subject" --municipality 0632 --linked-on "$today" \
    --move-date "$(date -d '+7 days' +%F)" >/dev/null
  "${K[@]}" relationship gp-registration "${client[@]}" --as gemeente-woerden \
    --actor-role maatschappelijk-begeleider --subject "$subject" \
    --practice huisartsenpraktijk-woerden --registered-on "$today" \
    --evidence "soak-$subject" >/dev/null
  "${K[@]}" consent grant "${client[@]}" --as gemeente-woerden \
    --actor-role maatschappelijk-begeleider --subject "$subject" \
    --recipient huisartsenpraktijk-woerden --purpose CONTINUITY_OF_CARE \
    --category SIGNAL --category LANGUAGE --from "$today" \
    --until "$(date -d '+1 year' +%F)" --language ar --evidence "soak-$subject" >/dev/null
done <"$work/subjects.txt"

load_args=(--target "$addr" --call gateway --server-name localhost --ca "$C/ca.crt"
  --cert "$C/huisartsenpraktijk-woerden.crt" --key "$C/huisartsenpraktijk-woerden.key"
  --purpose CONTINUITY_OF_CARE --actor-role huisarts --subjects "$work/subjects.txt"
  --record-type noa.Assessment)
json() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" <<<"$1" | tr -d '"'; }
if [ "$rate" = "0" ]; then
  peak=$("$B/bench/ketenpoort-load" "${load_args[@]}" --mode closed --concurrency 64 \
    --seconds 10 --warmup 2)
  [ "$(json "$peak" errors)" = "0" ] || { echo "the peak run had errors: $peak" >&2; exit 1; }
  rate=$(awk -v t="$(json "$peak" throughput)" 'BEGIN {printf "%d", t / 2}')
  echo "peak $(json "$peak" throughput) calls/s (closed loop, 64 outstanding); soaking at $rate"
fi

# Memory every 10 s: seconds since start, VmRSS, RssAnon, RssFile (kB).
: >"$work/memory.txt"
(
  for ((t = 0; t <= seconds; t += 10)); do
    awk -v t="$t" '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} /^RssFile/ {f=$2}
      END {print t, r, a, f}' "/proc/$gateway/status" >>"$work/memory.txt" 2>/dev/null || exit 0
    sleep 10
  done
) &
pids+=($!)

# The load itself, bounded by --seconds.
"$B/bench/ketenpoort-load" "${load_args[@]}" --mode open --rate "$rate" --concurrency 256 \
  --seconds "$seconds" --warmup 0 >"$work/load.json" 2>"$work/load.log" &
load=$!
pids+=("$load")
sleep 3
kill -0 "$load" 2>/dev/null || { echo "the load driver stopped:" >&2; cat "$work/load.log" >&2; exit 1; }

# Side traffic, each loop counting its failures; all stop at the deadline.
deadline=$(($(date +%s) + seconds))
subject_at() { sed -n "$(( ($1 % 64) + 1 ))p" "$work/subjects.txt"; }
officers() {
  local n=0 failed=0
  while [ "$(date +%s)" -lt "$deadline" ]; do
    "${K[@]}" audit query "${client[@]}" --as fg-gemeente-woerden --actor-role privacy_officer \
      --limit 200 >/dev/null 2>>"$work/officers.err" || failed=$((failed + 1))
    "${K[@]}" audit query "${client[@]}" --as fg-coa --actor-role privacy_officer \
      --decision DENY --limit 100 >/dev/null 2>>"$work/officers.err" || failed=$((failed + 1))
    "${K[@]}" audit report "${client[@]}" --as autoriteit-persoonsgegevens --actor-role toezicht \
      --subject "$(subject_at $n)" >/dev/null 2>>"$work/officers.err" || failed=$((failed + 1))
    n=$((n + 1))
    sleep 1
  done
  echo "$n $failed" >"$work/officers.count"
}
writers() {
  local n=0 failed=0
  while [ "$(date +%s)" -lt "$deadline" ]; do
    local subject
    subject=$(subject_at $n)
    "${K[@]}" consent grant "${client[@]}" --as gemeente-woerden \
      --actor-role maatschappelijk-begeleider --subject "$subject" \
      --recipient huisartsenpraktijk-woerden --purpose CONTINUITY_OF_CARE \
      --category SIGNAL --category LANGUAGE --from "$today" \
      --until "$(date -d '+1 year' +%F)" --language ar --evidence "soak-$n" \
      >/dev/null 2>>"$work/writers.err" || failed=$((failed + 1))
    "${K[@]}" handover send "${client[@]}" --as coa --actor-role casemanager \
      --subject "$subject" --record noa.Assessment --to huisartsenpraktijk-woerden \
      --role huisarts --purpose CONTINUITY_OF_CARE --request-id "soak-$n" \
      >/dev/null 2>>"$work/writers.err" || failed=$((failed + 1))
    n=$((n + 1))
    sleep 2
  done
  echo "$n $failed" >"$work/writers.count"
}
watchers() {  # four streams at a time, each for 30 s
  local rounds=0 failed=0
  while [ "$(date +%s)" -lt "$deadline" ]; do
    local -a watching=()
    for _ in 1 2 3 4; do
      "${K[@]}" handover watch "${client[@]}" --as huisartsenpraktijk-woerden \
        --actor-role huisarts --seconds 30 >/dev/null 2>>"$work/watchers.err" &
      watching+=($!)
    done
    for pid in "${watching[@]}"; do wait "$pid" || failed=$((failed + 1)); done
    rounds=$((rounds + 1))
  done
  echo "$rounds $failed" >"$work/watchers.count"
}
reloads() {
  local n=0
  while [ "$(date +%s)" -lt "$((deadline - 60))" ]; do
    sleep 60
    kill -HUP "$gateway"
    n=$((n + 1))
  done
  echo "$n" >"$work/reloads.count"
}
officers & pids+=($!); side=($!)
writers & pids+=($!); side+=($!)
watchers & pids+=($!); side+=($!)
reloads & pids+=($!); side+=($!)
wait "$load" || true
for pid in "${side[@]}"; do wait "$pid" || true; done

alive=yes
kill -0 "$gateway" 2>/dev/null || alive=no
out=$(cat "$work/load.json")
kill -TERM "$gateway" 2>/dev/null || true
wait "$gateway" 2>/dev/null || true
verify=$("${K[@]}" audit verify --db "$work/audit.db" --signing-key "$C/checkpoint.key" \
  --trusted-checkpoint "$work/audit-head.note" 2>&1) && verified=yes || verified=no

read -r officer_rounds officer_failed <"$work/officers.count"
read -r writer_rounds writer_failed <"$work/writers.count"
read -r watch_rounds watch_failed <"$work/watchers.count"
growth=$(awk -v w="$warmup_seconds" '
  $1 >= w && !seen {base = $2; seen = 1} {last = $2; peak = ($2 > peak ? $2 : peak)}
  END {if (base > 0) printf "%.1f%% (%.0f MB after warm-up, %.0f MB at the end, %.0f MB at most)",
         (last - base) * 100 / base, base / 1024, last / 1024, peak / 1024}' "$work/memory.txt")
file_mb=$(awk 'END {printf "%.0f", $4 / 1024}' "$work/memory.txt")
anon_mb=$(awk 'END {printf "%.0f", $3 / 1024}' "$work/memory.txt")
cat <<REPORT

soak: $minutes min at $rate calls/s (open loop), warm-up $warmup_minutes min
GetRecord: $(json "$out" calls_total) calls, $(json "$out" errors) errors, p50 $(json "$out" p50_us) us, p99 $(json "$out" p99_us) us
officers: $officer_rounds rounds of 2 queries and a report, $officer_failed failed
writers: $writer_rounds consent grants and hand-overs sent, $writer_failed failed
Watch: $watch_rounds rounds of 4 streams of 30 s, $watch_failed failed
reloads (SIGHUP): $(cat "$work/reloads.count"); gateway alive at the end: $alive
gateway RSS growth after warm-up: $growth; at the end anonymous $anon_mb MB, file-backed $file_mb MB
audit log: $(sqlite3 "file:$work/audit.db?mode=ro" "SELECT count(*) FROM audit_entry" 2>/dev/null || echo '?') entries; verifies: $verified
REPORT
echo "$verify" | tail -3
echo "memory samples (s, VmRSS kB, RssAnon kB, RssFile kB): $work/memory.txt"
for f in officers writers watchers; do
  [ -s "$work/$f.err" ] && { echo "first errors of $f:"; head -3 "$work/$f.err"; }
done
[ "$verified" = yes ] && [ "$alive" = yes ] && [ "$(json "$out" errors)" = "0" ]
