#!/usr/bin/env bash
# Creates a development PKI for Ketenpoort with the OpenSSL CLI:
#   ca.crt                  the dev partner CA (trusted by the gateway)
#   server.crt/.key         the gateway, for localhost / 127.0.0.1 / ::1
#   source.crt/.key         the reference source server, for the same names
#   ketenpoort-gateway.crt/.key
#                           the gateway's own client certificate, which it
#                           presents to upstream sources
#   <partner>.crt/.key      one client certificate per partner, with the
#                           partner's 20-digit OIN in the subject serialNumber
#   foreign-ca.crt, foreign-coa.crt/.key
#                           a second CA the gateway does NOT trust, and a
#                           client certificate from it claiming COA's OIN
#   pseudonym.key           the gateway's secret for audit pseudonyms
#   checkpoint.key          Ed25519 key that signs audit checkpoints
#   handover-master.key     AES-256 master key that wraps hand-over package keys
#
# Usage: certs-dev/make-dev-certs.sh [OUTDIR]   (default: certs-dev/out)
# Idempotent: an existing OUTDIR with a CA is left alone unless --force.
# Generated keys are never committed (see .gitignore).
set -euo pipefail

force=0
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
out="${1:-$(dirname "$0")/out}"
mkdir -p "$out"
cd "$out"

# The newest files: an older dev PKI without them is redone.
if [ -f ca.crt ] && [ -f handover-master.key ] && [ -f checkpoint.key ] &&
   [ -f huisartsenpraktijk-utrecht.crt ] && [ "$force" = 0 ]; then
  echo "dev certificates already in $out (use --force to recreate)"
  exit 0
fi
umask 077

days=825
curve=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

make_ca() {  # name, subject
  openssl req -x509 "${curve[@]}" -keyout "$1.key" -out "$1.crt" -days 3650 -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

sign() {  # ca, name, subject, extensions
  openssl req "${curve[@]}" -keyout "$2.key" -out "$2.csr" -subj "$3" 2>/dev/null
  printf '%s\n' "$4" > "$2.ext"
  openssl x509 -req -in "$2.csr" -CA "$1.crt" -CAkey "$1.key" -CAcreateserial \
    -out "$2.crt" -days "$days" -extfile "$2.ext" 2>/dev/null
  rm -f "$2.csr" "$2.ext"
}

client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

make_ca ca "/C=NL/O=Ketenpoort Dev/CN=Ketenpoort Dev Partner CA"
sign ca server "/C=NL/O=Ketenpoort Dev/CN=localhost" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
sign ca source "/C=NL/O=Ketenpoort Dev/CN=localhost" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"

# name | organisation | OIN (synthetic, never a real organisation's)
while IFS='|' read -r name org oin; do
  [ -z "$name" ] && continue
  sign ca "$name" "/C=NL/O=$org/serialNumber=$oin/CN=$name" "$client_ext"
done <<'PARTNERS'
coa|Centraal Orgaan opvang asielzoekers|00000099000000000101
gca|Gezondheidscentrum Asielzoekers|00000099000000000201
ggd-regio-utrecht|GGD regio Utrecht|00000099000000000301
ggd-pga|GGD GHOR Nederland - Publieke Gezondheid Asielzoekers|00000099000000000302
duo|Dienst Uitvoering Onderwijs|00000099000000000401
vwn-midden-nederland|VluchtelingenWerk Midden-Nederland|00000099000000000501
gemeente-woerden|Gemeente Woerden|00000099000000000632
gemeente-utrecht|Gemeente Utrecht|00000099000000000344
huisartsenpraktijk-woerden|Huisartsenpraktijk De Linde Woerden|00000099000000010632
huisartsenpraktijk-oudegracht|Huisartsenpraktijk Oudegracht Woerden|00000099000000011632
huisartsenpraktijk-utrecht|Huisartsenpraktijk Lombok Utrecht|00000099000000010344
jgz-woerden|Jeugdgezondheidszorg Woerden|00000099000000020632
fg-gemeente-woerden|Gemeente Woerden - Functionaris Gegevensbescherming|00000099000000030632
fg-coa|COA - Functionaris Gegevensbescherming|00000099000000030101
autoriteit-persoonsgegevens|Autoriteit Persoonsgegevens|00000099000000000901
inzageportaal|Inzageportaal statushouders|00000099000000000801
ketenpoort-gateway|Ketenpoort|00000099000000000001
unknown-party|Onbekende Partij|00000099999999999999
PARTNERS

# A CA the gateway does not trust, issuing a certificate that claims COA's OIN.
make_ca foreign-ca "/C=NL/O=Elsewhere/CN=Foreign CA"
sign foreign-ca foreign-coa \
  "/C=NL/O=Centraal Orgaan opvang asielzoekers/serialNumber=00000099000000000101/CN=coa" \
  "$client_ext"
rm -f ./*.srl

openssl rand -hex 32 > pseudonym.key
openssl rand -hex 32 > handover-master.key
# Signs the audit log's checkpoints (C2SP signed notes, Ed25519).
openssl genpkey -algorithm ed25519 -out checkpoint.key 2>/dev/null
chmod 600 ./*.key
echo "dev certificates written to $(pwd)"
