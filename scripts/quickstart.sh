#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install dependencies, build a Release `reco`,
# generate a synthetic dataset, import it, train, and serve on 127.0.0.1:8000 in the foreground.
# Environment: RECO_DEMO_DIR (default ./demo), RECO_PORT (default 8000),
# RECO_DEMO_USERS / RECO_DEMO_ITEMS (default 5000 / 10000).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEMO_DIR=${RECO_DEMO_DIR:-$ROOT/demo}
PORT=${RECO_PORT:-8000}

./scripts/install-deps.sh
RECO_BUILD_TESTS=OFF ./scripts/build.sh build-release reco
RECO=$ROOT/build-release/src/cli/reco

if [[ ! -f "$DEMO_DIR/source/reco-demo.json" ]]; then
  "$RECO" demo-data --out "$DEMO_DIR/source" --users "${RECO_DEMO_USERS:-5000}" \
    --items "${RECO_DEMO_ITEMS:-10000}" --seed 42
fi
"$RECO" import --data-dir "$DEMO_DIR/data" "$DEMO_DIR/source"
"$RECO" train --data-dir "$DEMO_DIR/data"

# A user with a short history and an often-liked item of a category the user never touched: liking it
# changes that user's top 5 at once (scripts/quickstart_example.py says how it picks them).
read -r USER_ID ITEM_ID HISTORY CATEGORY < <(python3 scripts/quickstart_example.py "$DEMO_DIR/source")
SIMILAR_ID=$(head -n 1 "$DEMO_DIR/source/items.jsonl" | sed -E 's/.*"ItemId":"([^"]*)".*/\1/')
cat <<MSG

reco is starting on http://127.0.0.1:$PORT (Ctrl-C stops it). Try, from another terminal:
  curl -s "http://127.0.0.1:$PORT/api/recommend/$USER_ID?n=5"
  curl -s "http://127.0.0.1:$PORT/similar/$SIMILAR_ID?top_n=5"
  curl -s -X POST "http://127.0.0.1:$PORT/api/feedback" -H 'Content-Type: application/json' \\
       -d '[{"FeedbackType":"like","UserId":"$USER_ID","ItemId":"$ITEM_ID"}]'
  curl -s "http://127.0.0.1:$PORT/api/recommend/$USER_ID?n=5"
$USER_ID has $HISTORY items in its history, none of category $CATEGORY; after the like of $ITEM_ID
(category $CATEGORY) two or more of its top 5 are items liked together with $ITEM_ID, without
retraining.

MSG
exec "$RECO" serve --data-dir "$DEMO_DIR/data" --http-port "$PORT"
