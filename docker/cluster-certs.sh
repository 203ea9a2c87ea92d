#!/usr/bin/env bash
# Makes the TLS material of the cluster in docker/compose-cluster.yaml, with the JDK's keytool:
#   ca.p12           the cluster's own certificate authority, its password in ca.password
#                    (its private key: needed again only to add or renew a node; keep both
#                    away from the nodes, or delete them once the stores are made)
#   ca.crt           the authority's certificate (PEM)
#   truststore.p12   that certificate alone: a node accepts a peer whose certificate the
#                    authority signed (Pekko's TLS is mutual: both sides check)
#   node1.p12 ...    one key store per node: its key and a certificate for its host name
#                    (CN and subjectAltName DNS:nodeN), signed by the authority
#   cluster.env      the stores' passwords, random, for `docker compose --env-file`
# in docker/certs/ (or $CERTS_DIR), files readable by their owner only.
#   docker/cluster-certs.sh              nodes node1 node2 node3
#   docker/cluster-certs.sh a b c d      other host names
# Refuses to overwrite an existing directory's authority: delete docker/certs/ to start over.
# RSA 3072 keys (Pekko's TLS 1.3 default suites take any key; its rotating-keys provider
# takes RSA only), certificates valid VALID_DAYS (825) days.
set -euo pipefail
cd "$(dirname "$0")"
dir="${CERTS_DIR:-certs}"
days="${VALID_DAYS:-825}"
nodes=("$@")
[ ${#nodes[@]} -gt 0 ] || nodes=(node1 node2 node3)
command -v keytool >/dev/null || { echo "keytool not found: install a JDK" >&2; exit 1; }
if [ -e "$dir/ca.p12" ]; then
  echo "$dir/ca.p12 exists: delete $dir/ to make new material" >&2
  exit 1
fi
umask 077
mkdir -p "$dir"

# Passwords: 24 random bytes, base64url (no characters a shell or an env file would mangle).
random_password() { head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
ca_pass="$(random_password)"
key_pass="$(random_password)"
trust_pass="$(random_password)"
kt() { keytool "$@" 2>&1 | { grep -v '^Warning\|^$\|^Certificate was added\|^Certificate reply was installed' || true; } >&2; }

kt -genkeypair -alias ca -keyalg RSA -keysize 3072 -validity "$days" \
  -dname "CN=fetchrunner cluster CA" -ext bc:c=ca:true,pathlen:0 -ext ku:c=keyCertSign,cRLSign \
  -storetype PKCS12 -keystore "$dir/ca.p12" -storepass "$ca_pass"
keytool -exportcert -rfc -alias ca -keystore "$dir/ca.p12" -storepass "$ca_pass" \
  -file "$dir/ca.crt" 2>/dev/null
kt -importcert -noprompt -alias fetchrunner-cluster-ca -file "$dir/ca.crt" \
  -storetype PKCS12 -keystore "$dir/truststore.p12" -storepass "$trust_pass"

for node in "${nodes[@]}"; do
  store="$dir/$node.p12"
  kt -genkeypair -alias "$node" -keyalg RSA -keysize 3072 -validity "$days" \
    -dname "CN=$node" -ext "san=dns:$node" \
    -storetype PKCS12 -keystore "$store" -storepass "$key_pass"
  keytool -certreq -alias "$node" -keystore "$store" -storepass "$key_pass" \
    -file "$dir/$node.csr" 2>/dev/null
  # Server and client use: each node both accepts and opens connections.
  keytool -gencert -rfc -alias ca -keystore "$dir/ca.p12" -storepass "$ca_pass" \
    -validity "$days" -infile "$dir/$node.csr" -outfile "$dir/$node.crt" \
    -ext "san=dns:$node" -ext ku:c=digitalSignature,keyEncipherment \
    -ext eku=serverAuth,clientAuth 2>/dev/null
  # The reply replaces the self-signed certificate with the chain node -> CA; keytool needs
  # the CA's certificate in the store to build it, removed again after.
  kt -importcert -noprompt -alias ca -file "$dir/ca.crt" -keystore "$store" \
    -storepass "$key_pass"
  kt -importcert -alias "$node" -file "$dir/$node.crt" -keystore "$store" \
    -storepass "$key_pass"
  keytool -delete -alias ca -keystore "$store" -storepass "$key_pass"
  rm "$dir/$node.csr"
done

cat > "$dir/cluster.env" <<EOF
# Made by docker/cluster-certs.sh $(date -u +%Y-%m-%dT%H:%M:%SZ). Secrets: keep out of version control.
FETCHRUNNER_CLUSTER_TLS_KEY_STORE_PASSWORD=$key_pass
FETCHRUNNER_CLUSTER_TLS_TRUST_STORE_PASSWORD=$trust_pass
EOF
printf '%s\n' "$ca_pass" > "$dir/ca.password"
echo "$dir/: ca.p12 and ca.password, ca.crt," \
  "truststore.p12, ${nodes[*]/%/.p12}, cluster.env"
# Files readable by their owner only; the containers read them as root (docker/Dockerfile
# sets no user). Check: keytool -list -v -keystore $dir/node1.p12 (password in cluster.env).
