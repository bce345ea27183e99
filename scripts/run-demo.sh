#!/usr/bin/env bash
# Starts Greenlight with the demo data set: `make run` calls this.
#   usage: run-demo.sh BINARY DB LISTEN
# On the first run (no DB yet) it creates the administrator "admin" with an API token,
# kept in var/admin.token (mode 600); later runs reuse the database and the token.
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

cat >&2 <<EOF

  Greenlight is starting on http://$listen with demo data.
  Administrator token (saved in $token_file):

    export GREENLIGHT_URL=http://$listen
    export GREENLIGHT_TOKEN=\$(cat $token_file)

  Try:
    curl -s -H "Authorization: Bearer \$GREENLIGHT_TOKEN" http://$listen/api/v1/changes
    $bin change list
    $bin change show CHG-000001

  Stop with Ctrl-C.

EOF

exec "$bin" serve --listen "$listen" --db "$db" --demo
