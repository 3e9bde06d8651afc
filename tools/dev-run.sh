#!/usr/bin/env bash
# Installs what is missing, builds, creates dev certificates and synthetic
# data, and runs the gateway on 127.0.0.1:50051 in the foreground (Ctrl-C
# stops it). Everything generated lands in certs-dev/out/ and var/, which
# git ignores.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
BUILD_DIR=build tools/build.sh
certs-dev/make-dev-certs.sh
mkdir -p var
build/tools/ketenpoort-fixtures --db var/fixtures.db --persons 1000 --show 3 | tee var/fixtures.txt
subject=$(awk 'NR==2 {print $1}' var/fixtures.txt)

cat <<HELP

Ketenpoort is starting on 127.0.0.1:50051. In another terminal, try:

  # permitted: Woerden's work consultant gets language, education, work; no mental-health scores
  build/tools/ketenctl get --as gemeente-woerden --actor-role werkconsulent \\
      --subject $subject --record noa.Assessment --purpose WORK_REINTEGRATION

  # denied: a GP practice has no rule for this record and purpose (PERMISSION_DENIED, NO_RULE)
  build/tools/ketenctl get --as huisartsenpraktijk-woerden --actor-role huisarts \\
      --subject $subject --record noa.Assessment --purpose WORK_REINTEGRATION

  # verify the audit log's hash chain
  build/tools/ketenctl audit verify --db var/audit.db

HELP
exec build/gateway/ketenpoort-gateway --config config/dev.yaml
