#!/usr/bin/env bash
# Regenerate the initial migration from the models (pre-release only).
set -euo pipefail
rm -f migrations/versions/*.py
tmp=$(mktemp -d)
OPENBSS_DATABASE_URL="sqlite:///$tmp/gen.db" .venv/bin/alembic revision --autogenerate -m "initial schema" --rev-id 0001 >/dev/null
.venv/bin/ruff format -q migrations
.venv/bin/ruff check --fix -q migrations
rm -rf "$tmp"
