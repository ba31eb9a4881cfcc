# tests/sync/lib_sync.sh - a region, its regional repository and an
# establishment's devices, ready to sync: sourced by the sync tests after
# tests/cli/lib.sh. make_region URL_OR_DIR sets R, ROOT; make_device DIR DEV
# enrols a device of LEI (the first one creates the establishment).
# shellcheck shell=bash disable=SC2034

make_region() {
	R=$T/region
	"$WICKET" -C "$R" region init --region YORKS --person "Pat Officer" --repo "$1" >"$T/region.out" || return 1
	ROOT=$(grep -E '^[0-9a-f]{64}$' "$T/region.out")
}

# make_device DIR DEVICE [URL]: init (or join), enrol, trust, remote.
make_device() {
	local dir=$1 dev=$2 url=${3:-}
	if [ ! -e "$T/lei-created" ]; then
		"$WICKET" -C "$dir" init --site LEI --name "HMP Leeds" --category B --function reception \
			--person "Sam Lee" --device "$dev" >/dev/null || return 1
		touch "$T/lei-created"
	else
		"$WICKET" -C "$dir" init --join --site LEI --device "$dev" --person "Kim Roe" >/dev/null || return 1
	fi
	"$WICKET" -C "$dir" enrol request --region YORKS --out "$dir.req" >/dev/null || return 1
	"$WICKET" -C "$R" region enrol "$dir.req" >/dev/null || return 1
	"$WICKET" -C "$R" trust export "$T/trust.now" >/dev/null || return 1
	"$WICKET" -C "$dir" trust import "$T/trust.now" --root "$ROOT" >/dev/null || return 1
	[ -z "$url" ] || "$WICKET" -C "$dir" remote set "$url" --stall 5 >/dev/null
	# The other devices learn of this one from the regional repository at their next sync,
	# before they seal: a changeset is sealed to the devices its trust file names.
	if "$WICKET" -C "$R" remote show --json | grep -q '"url": "'; then
		"$WICKET" -C "$R" region publish >/dev/null || return 1
	fi
}

# The state a user sees: the plan and the action plan.
state() { "$WICKET" -C "$1" plan show --json 2>&1; "$WICKET" -C "$1" actionplan show --json 2>&1; }
