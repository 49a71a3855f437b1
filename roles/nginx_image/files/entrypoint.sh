#!/bin/sh
# Entry point of the nginx image: make nginx listen on $NGINX_PORT (the Mesos
# framework runs the image on the host network and passes the port of its
# offer there), then replace this shell with the command, by default
# `nginx -g 'daemon off;'`, so nginx is the container's main process.
set -eu
port="${NGINX_PORT:-80}"
case "$port" in
  '' | *[!0-9]*)
    echo "nginx-entrypoint: NGINX_PORT must be a port number from 1 to 65535, got '$port'" >&2
    exit 64
    ;;
esac
if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
  echo "nginx-entrypoint: NGINX_PORT must be a port number from 1 to 65535, got '$port'" >&2
  exit 64
fi
sed "s/@NGINX_PORT@/$port/g" /etc/nginx/server.conf.template > /etc/nginx/conf.d/default.conf
exec "$@"
