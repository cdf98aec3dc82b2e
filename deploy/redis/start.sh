#!/bin/sh
# Compose's redis service starts through this, as root, before the image's entrypoint drops to
# the redis user. redis-server takes its password as an argument or from a config file; an
# argument is on the command line of the entrypoint, of gosu and of redis-server until it renames
# itself, which `ps` shows to anyone on the host. So the password goes in on standard input, the
# config file `-` names, each byte written \xHH inside quotes so that no value can end the line or
# the string early. No file, no start: never a Redis without a password. Arguments after these
# are passed on (the last value of an option wins).
set -eu
file=${REDIS_PASSWORD_FILE:-/run/secrets/REDIS_PASSWORD}
password=$(cat "$file")
if [ -z "$password" ]; then
  echo "start.sh: $file is empty" >&2
  exit 1
fi
hex=$(printf '%s' "$password" | od -An -v -tx1 | tr -d ' \n' | sed 's/../\\x&/g')
exec docker-entrypoint.sh redis-server - --appendonly yes "$@" <<CONFIG
requirepass "$hex"
CONFIG
