#!/bin/bash
# The image's HEALTHCHECK: asks the HTTP route of the role the container runs (PID 1's command,
# since the image has no ENTRYPOINT) with bash's /dev/tcp (the image has no curl).
#   reco serve   -> GET /api/health/ready on --http-port (else $RECO_SERVER_HTTP_PORT, else 8000)
#   reco gateway -> GET /health on --http-port (else 8080)
#   reco worker  -> GET /metrics on --metrics-port (a worker without one has no route: healthy)
#   anything else (reco pipeline run, a shell) -> healthy while it runs
set -uo pipefail

mapfile -d '' -t argv </proc/1/cmdline
role="" port="" metrics_port=""
for ((i = 0; i < ${#argv[@]}; i++)); do
  case "${argv[i]}" in
    serve|worker|gateway) [[ -z "$role" ]] && role="${argv[i]}" ;;
    --http-port) port="${argv[i + 1]:-}" ;;
    --http-port=*) port="${argv[i]#*=}" ;;
    --metrics-port) metrics_port="${argv[i + 1]:-}" ;;
    --metrics-port=*) metrics_port="${argv[i]#*=}" ;;
  esac
done

case "$role" in
  serve) path=/api/health/ready; port=${port:-${RECO_SERVER_HTTP_PORT:-8000}} ;;
  gateway) path=/health; port=${port:-8080} ;;
  worker) [[ -n "$metrics_port" ]] || exit 0; path=/metrics; port=$metrics_port ;;
  *) exit 0 ;;
esac

exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
read -r -t 3 status <&3 || exit 1
[[ "$status" == *" 200 "* ]] || { echo "$path: ${status%$'\r'}"; exit 1; }
