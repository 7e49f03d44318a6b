#!/usr/bin/env bash
# The demo province billed for a month: migrate, seed (customers, accounts, subscriptions
# activated on the first day of the previous month), a month of switch traffic written a day
# of files at a time, mediated, rated and billed, PDF invoices, and the bill run summarised.
#
# Running it again changes nothing: the seed is idempotent, the regenerated files are the
# same bytes (mediation files them as duplicates), rerating the billed month finds no
# difference, and the bill run of a finalised period returns that run unchanged.
#
# OPENBSS       the command (default: uv run --frozen openbss)
# OPENBSS_DATA_DIR, OPENBSS_DATABASE_URL, OPENBSS_TIMEZONE   as for openbss itself
# DEMO_CUSTOMERS, DEMO_ENTERPRISES, DEMO_SUBSCRIPTIONS        the seed's size
# DEMO_FILES, DEMO_RECORDS      files per switch and day, calls per file
set -euo pipefail

read -r -a openbss <<<"${OPENBSS:-uv run --frozen openbss}"
data_dir=${OPENBSS_DATA_DIR:-var}
inbox=$data_dir/inbox/switch
logs=$data_dir/demo
zone=${OPENBSS_TIMEZONE:-Asia/Shanghai}
# The previous calendar month in the province's time zone: the one the subscriptions served.
period=$(TZ=$zone date -d "$(TZ=$zone date +%Y-%m-01) -1 day" +%Y-%m)
mkdir -p "$logs"

step() { printf '\n== %s\n' "$*" >&2; }

step "database"
"${openbss[@]}" db upgrade

step "seed: catalog, customers, accounts, subscriptions"
"${openbss[@]}" seed demo --customers "${DEMO_CUSTOMERS:-2500}" \
    --enterprises "${DEMO_ENTERPRISES:-250}" --subscriptions "${DEMO_SUBSCRIPTIONS:-600}"

step "switch traffic of $period, a day of files at a time"
"${openbss[@]}" mediation generate "$inbox" --month "$period" \
    --files "${DEMO_FILES:-2}" --records "${DEMO_RECORDS:-400}"

step "mediation (the file table is in $logs/ingest.txt)"
"${openbss[@]}" mediation ingest "$inbox" >"$logs/ingest.txt"

step "rating $period"
"${openbss[@]}" rating run --period "$period"

step "reconciliation (the tables are in $logs/reconcile.txt)"
"${openbss[@]}" mediation reconcile >"$logs/reconcile.txt"
echo "every source and day balances" >&2

step "bill run $period"
billed=$("${openbss[@]}" billing run --period "$period")
printf '%s\n' "$billed"
run_id=$(grep -E '^\W+run\W' <<<"$billed" | grep -oE '[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}' | head -n 1)
if [[ -z $run_id ]]; then
    echo "error: no run id in the bill run's output" >&2
    exit 1
fi

step "PDF invoices"
if "${openbss[@]}" billing invoices --help >/dev/null 2>&1; then
    "${openbss[@]}" billing invoices "$run_id"
else
    echo "skipped: this openbss has no 'billing invoices' command yet (no PDFs rendered)" >&2
fi

step "summary"
"${openbss[@]}" billing summary "$run_id"
