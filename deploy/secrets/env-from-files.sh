#!/bin/sh
# An entrypoint for images that do not read NAME_FILE themselves (InfluxDB 1.x; Grafana, whose
# provisioning reads plain variables): for every NAME_FILE set, exports NAME with the contents of
# that file, then runs the image's own entrypoint, "$@". A file that cannot be read stops the
# container with one line.
set -eu
for name in $(env | sed -n 's/^\([A-Za-z][A-Za-z0-9_]*[A-Za-z0-9]\)_FILE=.*/\1/p'); do
  eval "file=\${${name}_FILE}"
  # shellcheck disable=SC2154 # set by the eval above
  value=$(cat "$file") || {
    echo "env-from-files.sh: cannot read ${name}_FILE ($file)" >&2
    exit 1
  }
  export "$name=$value"
  unset "${name}_FILE"
done
exec "$@"
