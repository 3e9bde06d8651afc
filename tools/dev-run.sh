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
build/tools/ketenpoort-fixtures --db var/fixtures.db --state-db var/state.db --persons 1000 \
  --show 1000 > var/fixtures.txt
head -2 var/fixtures.txt
# A synthetic person linked to Woerden; preferably one whose move is near
# enough to today for the GP rule's window (4 weeks before to 12 after).
from=$(date -d '-84 days' +%F)
until=$(date -d '+28 days' +%F)
subject=$(awk -v from="$from" -v until="$until" \
  '$NF=="Woerden" && $(NF-1)>=from && $(NF-1)<=until {print $1; exit}' var/fixtures.txt)
[ -n "$subject" ] || subject=$(awk '$NF=="Woerden" {print $1; exit}' var/fixtures.txt)

K=build/tools/ketenctl
cat <<HELP

Ketenpoort is starting on 127.0.0.1:50051. In another terminal, try (synthetic person $subject):

  # permitted: Woerden's work consultant gets language, education, work and the derived
  # care signal; never the PTSD or emotional-stability scores
  $K get --as gemeente-woerden --actor-role werkconsulent \\
      --subject $subject --record noa.Assessment --purpose WORK_REINTEGRATION

  # denied: the GP has no consent yet (PERMISSION_DENIED, reason CONSENT_REQUIRED)
  $K get --as huisartsenpraktijk-woerden --actor-role huisarts \\
      --subject $subject --record noa.Assessment --purpose CONTINUITY_OF_CARE

  # the municipality's social guidance records the person's consent (with an interpreter) ...
  $K consent grant --as gemeente-woerden --actor-role maatschappelijk-begeleider \\
      --subject $subject --recipient huisartsenpraktijk-woerden --purpose CONTINUITY_OF_CARE \\
      --category SIGNAL --category LANGUAGE --from $(date +%F) --until $(date -d '+1 year' +%F) \\
      --language ti --interpreter --evidence form-0001
  # ... and the GP's request above is permitted (within 4 weeks before to 12 weeks after the move)

  # a practice cannot register a patient with itself (PERMISSION_DENIED, NOT_ENTITLED: who
  # may assert which fact is in policies/assertions.yaml); Woerden's social guidance may
  $K relationship gp-registration --as huisartsenpraktijk-oudegracht --actor-role huisarts \
      --subject $subject --practice huisartsenpraktijk-oudegracht --registered-on $(date +%F) \
      --evidence form-0003

  # the medical dossier: GCA records the person's consent, and the registered GP receives it
  $K consent grant --as gca --actor-role casemanager --subject $subject \
      --recipient huisartsenpraktijk-woerden --purpose CONTINUITY_OF_CARE \
      --record-type gca.MedicalDossier --from $(date +%F) --until $(date -d '+1 year' +%F) \
      --language ar --evidence form-0002
  $K get --as huisartsenpraktijk-woerden --actor-role huisarts \
      --subject $subject --record gca.MedicalDossier --purpose CONTINUITY_OF_CARE

  # ... or hand it over: GCA pushes it, the GP is told, fetches and confirms, GCA sees the status
  $K handover send --as gca --actor-role arts --subject $subject --record gca.MedicalDossier \
      --to huisartsenpraktijk-woerden --role huisarts --purpose CONTINUITY_OF_CARE \
      --note "synthetische notitie" --request-id demo-0001
  $K handover pending --as huisartsenpraktijk-woerden --actor-role huisarts
  $K handover fetch --as huisartsenpraktijk-woerden --actor-role huisarts --id <handover_id>
  $K handover ack --as huisartsenpraktijk-woerden --actor-role huisarts --id <handover_id>
  $K handover status --as gca --id <handover_id>

  # statutory flows: TBC follow-up to the GGD of the new region, inburgering progress
  # (the loan as a band) to the municipality
  $K get --as ggd-regio-utrecht --actor-role tbc-arts \
      --subject $subject --record ggd.TbcScreening --purpose PUBLIC_HEALTH
  $K get --as gemeente-woerden --actor-role klantmanager-inburgering \
      --subject $subject --record duo.InburgeringStatus --purpose CIVIC_INTEGRATION

  # the municipality's inburgering overview: counts per stage, deadlines within 6 months,
  # providers with pass rates (small cells suppressed); then the list, each person audited
  $K inburgering overview --as gemeente-woerden
  $K inburgering list --as gemeente-woerden --deadline-band "12 tot 24 maanden" --page-size 5
  $K inburgering aggregate --as gemeente-utrecht --dimension EXAM_COMPONENT

  # the person's own access, through the subject portal where they signed in
  $K get --as inzageportaal --signed-in-as $subject \
      --subject $subject --record noa.Assessment --purpose SUBJECT_ACCESS

  # why is a request permitted or denied?
  $K policy explain policies/tests/noa-assessment.yaml --case "GP without consent is denied"

  # the audit log: a subject access report, in plain English, as the person would read it
  $K audit report --as fg-gemeente-woerden --actor-role privacy_officer --subject $subject --lang en

  # a privacy officer's export (own organisation only), and an inclusion proof
  $K audit query --as fg-gemeente-woerden --format csv
  $K audit prove --as coa --index 2 --signing-key certs-dev/out/checkpoint.key

  # verify the whole audit log offline: every entry, node and signed checkpoint
  $K audit verify --db var/audit.db --signing-key certs-dev/out/checkpoint.key

HELP
exec build/gateway/ketenpoort-gateway --config config/dev.yaml
