# shellcheck shell=bash
# tests/proof/in_namespace.sh - run under `unshare -rm` (a user and mount
# namespace: it works for root and for other users, and the mounts vanish with
# it) by tests/proof/storage.sh: put DIR on a full disk or make it read-only,
# run one wicket command there, and leave what happened in RES.
#
#   unshare -rm bash in_namespace.sh RES full[:KIB]|readonly DIR STORE WICKET ARGS...
#
# full: DIR's content is copied onto a tmpfs mounted over DIR, with 512 KiB to
# spare, and a filler file takes the rest (all but KIB of it). readonly: DIR is bind-mounted over
# itself read-only. Then the command runs (RES/stdout, RES/stderr, RES/rc);
# STORE (a store.db under DIR, or -) is dumped before and after
# (RES/before.dump, RES/after.dump); the filler is removed and DIR's content
# after the command is copied to RES/dir-after, for the caller to put back in
# place. RES/setup says "ok", or why the fault could not be set up.
set -u
res=$1 kind=$2 dir=$3 store=$4
shift 4
snap() {
	[ "$store" = - ] && return 0
	# (sqlite3 would create a missing file: a region pull would then find an empty replica)
	[ -f "$store" ] || { echo "no file $store"; return 0; }
	sqlite3 "$store" .dump 2>&1
	sqlite3 "$store" 'PRAGMA user_version; PRAGMA application_id;' 2>&1
}
mkdir -p "$res"
case $kind in
full | full:*)
	leave=0
	[ "$kind" = full ] || leave=${kind#full:}
	cp -a "$dir" "$res/orig" || { echo "cannot copy $dir" >"$res/setup"; exit 0; }
	kib=$(($(du -sk "$dir" | cut -f1) + 512))
	mount -t tmpfs -o "size=${kib}k" tmpfs "$dir" 2>"$res/setup" || exit 0
	cp -a "$res/orig/." "$dir/" 2>"$res/setup" || exit 0
	snap >"$res/before.dump"
	dd if=/dev/zero of="$dir/filler" bs=4k 2>/dev/null
	if [ "$leave" -gt 0 ]; then
		truncate -s "-${leave}K" "$dir/filler"
	elif dd if=/dev/zero of="$dir/probe" bs=4k count=1 2>/dev/null; then
		echo "the tmpfs is not full after the filler" >"$res/setup"
		exit 0
	fi
	;;
readonly)
	snap >"$res/before.dump"
	mount --bind "$dir" "$dir" 2>"$res/setup" || exit 0
	mount -o remount,bind,ro "$dir" 2>"$res/setup" || exit 0
	if touch "$dir/probe" 2>/dev/null; then
		echo "$dir is still writable after the read-only mount" >"$res/setup"
		exit 0
	fi
	;;
*)
	echo "unknown kind '$kind'" >"$res/setup"
	exit 0
	;;
esac
echo ok >"$res/setup"
"$@" >"$res/stdout" 2>"$res/stderr"
echo $? >"$res/rc"
rm -f "$dir/filler" "$dir/probe" 2>/dev/null
[ "$kind" = readonly ] && umount "$dir"
snap >"$res/after.dump"
mkdir -p "$res/dir-after"
cp -a "$dir/." "$res/dir-after/"
