#!/usr/bin/env bash
# Starts Greenlight with the demo data set: `make run` calls this.
#   usage: run-demo.sh BINARY DB LISTEN
# On the first run (no DB yet) it creates the administrator "admin" with an API token,
# kept in var/admin.token (mode 600); later runs reuse the database and the token. Once the
# server listens it prints the export lines for the address it bound (LISTEN may be any
# HOST:PORT, port 0 = a free one) and keeps the URL in var/greenlight.url.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BINARY DB LISTEN" >&2
  exit 2
fi
bin=$1 db=$2 listen=$3
token_file=var/admin.token

mkdir -p var "$(dirname "$db")"

if [ ! -e "$db" ]; then
  # Creates and migrates the database too; the token is the only thing on stdout.
  token=$("$bin" user add admin --admin --token --db "$db")
  (umask 077 && printf '%s\n' "$token" > "$token_file")
  chmod 600 "$token_file"
elif [ -s "$token_file" ]; then
  token=$(cat "$token_file")
else
  echo "run-demo: $db exists but $token_file does not; issuing a new token for admin" >&2
  token=$("$bin" user token admin --db "$db")
  (umask 077 && printf '%s\n' "$token" > "$token_file")
  chmod 600 "$token_file"
fi

url_file=var/greenlight.url

# The lines to paste into another shell, printed once the server listens, with the address
# it actually bound (LISTEN=127.0.0.1:0 picks a free port); the URL is also kept in
# $url_file, which the README's commands read.
banner() {
  local url=$1
  case $url in # a wildcard bind is reached on loopback
    *://0.0.0.0:*) url=${url/0.0.0.0/127.0.0.1} ;;
    *://\[::\]:*) url=${url/\[::\]/[::1]} ;;
  esac
  printf '%s\n' "$url" > "$url_file"
  cat <<EOF

  Greenlight is serving $url with demo data.
  In another shell (the URL is saved in $url_file, the token in $token_file):

    export GREENLIGHT_URL=$url
    export GREENLIGHT_TOKEN=\$(cat $token_file)

  Try:
    curl -s -H "Authorization: Bearer \$GREENLIGHT_TOKEN" \$GREENLIGHT_URL/api/v1/changes
    $bin change list
    $bin change show CHG-000001

  Stop with Ctrl-C.

EOF
}

# Passes the server's stderr through and prints the banner after its "listening on URL"
# line. It ignores Ctrl-C (which reaches the whole process group) so that the server's
# shutdown lines still get through; it ends when the server closes its stderr.
relay() {
  trap '' INT TERM
  local line
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case $line in
      "greenlight: listening on "*) banner "${line#greenlight: listening on }" ;;
    esac
  done
}

rm -f "$url_file"
exec "$bin" serve --listen "$listen" --db "$db" --demo 2> >(relay >&2)
