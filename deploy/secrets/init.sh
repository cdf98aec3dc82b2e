#!/bin/sh
# Compose's init-secrets service runs this before anything else, at every `docker compose up`. It
# fills the secrets volume ($SECRETS_DIR) with one file per secret, which the other containers
# read (the services through NAME_FILE, packages/config): a fresh clone starts with no .env, and
# no password is ever shipped in the repository.
#
# A value given to this service (compose.yaml passes each from .env or the environment under its
# own name) is written at every start: it wins. Otherwise a file already there is kept, and a
# missing one is made once: 32 random bytes in base64url (43 characters, safe inside URLs).
# PostgreSQL and InfluxDB take their passwords only when they initialise an empty volume: change
# one later by hand in the server too.
set -eu
umask 077

dir=${SECRETS_DIR:-/run/secrets}
# Redis's own volume: redis-server runs as 999, the uid PostgreSQL's files below are given to, so
# the redis container mounts only this one, with its password alone.
redis_dir=${REDIS_SECRETS_DIR:-}
# Each of our services' own volume, <dir>/<service>: they all run as one uid, so none mounts the
# secrets volume itself; `give` copies into each the files it reads.
services_dir=${SERVICES_SECRETS_DIR:-}
# compose.yaml sets both to where init-secrets mounts those volumes: one not there is a mount
# missing from compose.yaml, and stops the start here, rather than the service later on a file
# never written. Run by hand, unset: there are no such volumes to fill.

# mounted DIR VOLUME [HINT]: stops, naming the volume, unless DIR is there.
mounted() {
  [ -d "$1" ] && return 0
  echo "init.sh: $1 is not there: mount the volume $2 on it in compose.yaml's init-secrets${3:+ ($3)}" >&2
  exit 1
}

# The users each image runs its process as: a file is 0400 and belongs to its one reader, or 0440
# with the group of a second one.
postgres=999  # postgres:17-bookworm (the server and its init scripts, after it drops root)
node=1000     # our Dockerfile's `node`: every service
influxdb=1500 # influxdb:1.11
grafana=472   # grafana/grafana
root=0        # redis (in its own volume): read by deploy/redis/start.sh, before it drops root

# write NAME OWNER[:GROUP] VALUE [DIR], through a temporary file so that no reader sees half of
# one.
write() {
  tmp="${4:-$dir}/.$1.tmp"
  # One left by a start killed after its chown belongs to its reader: chmod would need CAP_FOWNER,
  # which init-secrets does not have, and every later start would fail there.
  rm -f "$tmp"
  printf '%s' "$3" >"$tmp"
  case $2 in
  *:*) chmod 0440 "$tmp" ;;
  *) chmod 0400 "$tmp" ;;
  esac
  # Only root may give a file away; run by hand as yourself, the files stay yours.
  if [ "$(id -u)" = 0 ]; then chown "$2" "$tmp"; fi
  mv -f "$tmp" "${4:-$dir}/$1"
}

# copy NAME DIR OWNER: the file NAME of the secrets volume, into another volume, for OWNER alone.
copy() {
  tmp="$2/.$1.tmp"
  rm -f "$tmp" # as in write
  cp "$dir/$1" "$tmp"
  chmod 0400 "$tmp"
  if [ "$(id -u)" = 0 ]; then chown "$3" "$tmp"; fi
  mv -f "$tmp" "$2/$1"
}

# give SERVICE NAME...: exactly these files in the service's own volume (one left from an earlier
# start that it no longer reads is removed). None when run by hand, outside Compose.
give() {
  [ -n "$services_dir" ] || return 0
  target="$services_dir/$1"
  mounted "$target" "secrets-$1" "npm run generate writes it"
  shift
  for file in "$target"/* "$target"/.*; do
    [ -f "$file" ] || continue
    case " $* " in
    *" ${file##*/} "*) ;;
    *) rm -f "$file" ;;
    esac
  done
  for name in "$@"; do copy "$name" "$target" "$node"; done
}

random() {
  value=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  [ "${#value}" -eq 43 ] || { echo "init.sh: no randomness from /dev/urandom" >&2; exit 1; }
  printf '%s' "$value"
}

# secret NAME OWNER[:GROUP]: the value given, else the file already there, else a new random one.
secret() {
  eval "given=\${$1:-}"
  if [ -n "$given" ]; then
    write "$1" "$2" "$given"
  elif [ ! -s "$dir/$1" ]; then
    # An assignment of its own: a command substitution inside write's arguments would hide
    # random's failure from `set -e`, and an empty password would be written.
    fresh=$(random)
    write "$1" "$2" "$fresh"
  fi
}

# The contents of a secret's file, percent-encoded for the URLs below: a value given in .env may
# hold `@ / : # ? %`, which would otherwise end the password early or move the host. Unreserved
# characters stay as they are (a generated value is all of them), every other byte is %XX.
value() {
  v=$(cat "$dir/$1")
  case $v in
  *[!A-Za-z0-9._~-]*)
    printf '%s' "$v" | od -An -v -tx1 | tr -s ' ' '\n' | while read -r byte; do
      case $byte in
      '') ;;
      2[de] | 3[0-9] | 4[1-9a-f] | 5[0-9a] | 5f | 6[1-9a-f] | 7[0-9a] | 7e)
        # shellcheck disable=SC2059 # the format is the byte itself, as an octal escape
        printf "\\$(printf %03o "0x$byte")"
        ;;
      *) printf '%%%s' "$byte" | tr a-f A-F ;;
      esac
    done
    ;;
  *) printf '%s' "$v" ;;
  esac
}

# url NAME OWNER TEMPLATE: a connection URL with a password inside, which a service reads whole
# (REDIS_URL_FILE, DATABASE_URL_FILE). Rewritten at every start, so it follows its password.
url() { write "$1" "$2" "$3"; }

secret POSTGRES_PASSWORD "$postgres"
secret REDIS_PASSWORD "$root"
# (None when run by hand, outside Compose.)
if [ -n "$redis_dir" ]; then
  mounted "$redis_dir" redis-secret
  copy REDIS_PASSWORD "$redis_dir" "$root"
fi
url REDIS_URL "$node" "redis://:$(value REDIS_PASSWORD)@redis:6379"
# Proves service-to-service calls to /internal/* (x-service-token).
secret SERVICE_TOKEN "$node"
# Seals auth's private signing keys in PostgreSQL: 32 random bytes. Keep it with the database's
# backups; without it the stored keys cannot be opened.
secret KEY_ENCRYPTION_KEY "$node"
# InfluxDB: its admin, the analytics service's read/write user, Grafana's read-only user.
secret INFLUX_ADMIN_PASSWORD "$influxdb"
secret INFLUX_ANALYTICS_PASSWORD "$node:$influxdb"
secret INFLUX_GRAFANA_PASSWORD "$grafana:$influxdb"
secret GRAFANA_ADMIN_PASSWORD "$grafana"
# Seals the data source passwords Grafana stores: its built-in default key is public.
secret GRAFANA_SECRET_KEY "$grafana"

# Each database's password and its service's DATABASE_URL, and every secret a manifest's own
# settings read that is not above.
# generated:secrets begin (npm run generate, from services/*/service.json)
give gateway SERVICE_TOKEN REDIS_URL
secret AUTH_DB_PASSWORD "$postgres"
url AUTH_DATABASE_URL "$node" "postgres://auth:$(value AUTH_DB_PASSWORD)@postgres:5432/auth"
give auth AUTH_DATABASE_URL KEY_ENCRYPTION_KEY SERVICE_TOKEN REDIS_URL
secret MAIN_DB_PASSWORD "$postgres"
url MAIN_DATABASE_URL "$node" "postgres://main:$(value MAIN_DB_PASSWORD)@postgres:5432/main"
give main MAIN_DATABASE_URL SERVICE_TOKEN REDIS_URL
secret ANALYTICS_DB_PASSWORD "$postgres"
url ANALYTICS_DATABASE_URL "$node" "postgres://analytics:$(value ANALYTICS_DB_PASSWORD)@postgres:5432/analytics"
give analytics ANALYTICS_DATABASE_URL SERVICE_TOKEN REDIS_URL INFLUX_ANALYTICS_PASSWORD
# generated:secrets end
