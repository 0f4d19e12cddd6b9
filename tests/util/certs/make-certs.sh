#!/bin/sh
# Makes the ready-made test PKI in this folder (see README.md). Run once; the output is
# committed so that tests do not generate RSA keys where any valid PKI will do.
set -eu
cd "$(dirname "$0")"
days=10000

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ca-key.pem
openssl req -new -x509 -key ca-key.pem -sha256 -days "$days" -set_serial 0x5E57CA0001 \
  -subj "/CN=Workpoint Console Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.crt

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server-key.pem
openssl req -new -key server-key.pem -subj "/CN=localhost" -out server.csr
printf '%s\n' "basicConstraints=critical,CA:FALSE" \
  "keyUsage=critical,digitalSignature,keyEncipherment" \
  "extendedKeyUsage=serverAuth" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1" > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca-key.pem -sha256 -days "$days" \
  -set_serial 0x5E57A50001 -extfile server.ext -out server.crt
rm server.csr server.ext

n=1
for mac in 00:1A:E8:12:34:56 00:1A:E8:AB:CD:EF 00:1A:E8:00:10:01; do
  name=$(echo "$mac" | tr -d :)
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "phone-$name-key.pem"
  openssl req -new -key "phone-$name-key.pem" -subj "/CN=$mac" -out phone.csr
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=clientAuth" > phone.ext
  openssl x509 -req -in phone.csr -CA ca.crt -CAkey ca-key.pem -sha256 -days "$days" \
    -set_serial "0x5E57F0000$n" -extfile phone.ext -out "phone-$name.crt"
  # WpiPki files a certificate under its serial (clients/MAC12/SERIAL.crt)
  openssl x509 -in "phone-$name.crt" -noout -serial | sed 's/^serial=//' > "phone-$name.serial"
  rm phone.csr phone.ext
  n=$((n + 1))
done
