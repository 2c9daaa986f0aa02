#!/usr/bin/env bash
# The operators' smoke test of a running reco serve: health with models loaded, /similar,
# /recommend/detail, /api/recommend, /metrics. Prints each step; exits 1 naming the first step
# that failed (2 for bad usage).
#
# Usage: scripts/smoke_test.sh [BASE_URL]          (default http://127.0.0.1:8000)
# Environment: RECO_API_KEY (sent as X-API-Key when set), SMOKE_USER / SMOKE_ITEM (the ids asked
# about; default: the first user and item the server lists), SMOKE_TIMEOUT (seconds per request,
# default 10).
set -uo pipefail

BASE_URL=${1:-http://127.0.0.1:8000}
BASE_URL=${BASE_URL%/}
TIMEOUT=${SMOKE_TIMEOUT:-10}
if [[ $# -gt 1 || $BASE_URL == -* ]]; then
  echo "usage: $0 [BASE_URL]   (default http://127.0.0.1:8000)" >&2
  exit 2
fi
command -v curl >/dev/null || { echo "smoke test: curl is not installed" >&2; exit 2; }

HEADERS=()
[[ -n ${RECO_API_KEY:-} ]] && HEADERS=(-H "X-API-Key: ${RECO_API_KEY}")
BODY=""

fail() {  # STEP WHY
  echo "FAIL $1: $2"
  echo "smoke test failed at step: $1"
  exit 1
}

# GET PATH into BODY; the step fails on a transport error or a status other than 200.
get() {  # STEP PATH
  local out status
  if ! out=$(curl -sS --max-time "$TIMEOUT" "${HEADERS[@]}" -w $'\n%{http_code}' \
               "${BASE_URL}$2" 2>&1); then
    fail "$1" "GET ${BASE_URL}$2: ${out%$'\n'*}"
  fi
  status=${out##*$'\n'}
  BODY=${out%$'\n'*}
  [[ $status == 200 ]] || fail "$1" "GET $2 answered $status: ${BODY:0:300}"
}

# The first value of "KEY":"..." in BODY.
first_string() { sed -n "s/^[^{]*{\"$1\":\"\\([^\"]*\\)\".*/\\1/p" <<<"$BODY" | head -n 1; }

step() { echo "---- $1"; }
ok() { echo "ok   $1: $2"; }

echo "reco smoke test of ${BASE_URL}"

step health
get health /health
grep -q '"models_loaded":true' <<<"$BODY" ||
  fail health "models_loaded is not true: ${BODY:0:300}"
ok health "models loaded ($(grep -o '"status":"[a-z]*"' <<<"$BODY" | head -n 1))"

ITEM=${SMOKE_ITEM:-}
if [[ -z $ITEM ]]; then
  get items "/api/items?n=1"
  ITEM=$(sed -n 's/.*"ItemId":"\([^"]*\)".*/\1/p' <<<"$BODY" | head -n 1)
  [[ -n $ITEM ]] || fail items "no item in /api/items: ${BODY:0:300}"
fi
USER_ID=${SMOKE_USER:-}
if [[ -z $USER_ID ]]; then
  get users "/api/users?n=1"
  USER_ID=$(sed -n 's/.*"UserId":"\([^"]*\)".*/\1/p' <<<"$BODY" | head -n 1)
  [[ -n $USER_ID ]] || fail users "no user in /api/users: ${BODY:0:300}"
fi
ok ids "user ${USER_ID}, item ${ITEM}"

step similar
get similar "/similar/${ITEM}"
grep -q '"similar_items":\[' <<<"$BODY" || fail similar "no similar_items: ${BODY:0:300}"
ok similar "$(grep -o '"item_id"' <<<"$BODY" | tail -n +2 | wc -l) similar items of ${ITEM}"

step recommend_detail
get recommend_detail "/recommend/detail/${ITEM}?user_id=${USER_ID}"
grep -q '"recommendations":\[' <<<"$BODY" ||
  fail recommend_detail "no recommendations: ${BODY:0:300}"
ok recommend_detail "answered for item ${ITEM}, user ${USER_ID}"

step api_recommend
get api_recommend "/api/recommend/${USER_ID}?n=10"
[[ $BODY == \[* ]] || fail api_recommend "not a JSON array: ${BODY:0:300}"
[[ $BODY != "[]" ]] || fail api_recommend "empty list for user ${USER_ID}"
ok api_recommend "$(grep -o '"[^"]*"' <<<"$BODY" | wc -l) items for ${USER_ID}"

step metrics
get metrics /metrics
grep -q '^# TYPE ' <<<"$BODY" || fail metrics "not the Prometheus text format: ${BODY:0:300}"
ok metrics "$(grep -c '^# TYPE ' <<<"$BODY") metric families"

echo "smoke test passed: health, similar, recommend_detail, api_recommend, metrics"
