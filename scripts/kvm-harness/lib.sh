# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Shared helpers of scripts/kvm-harness/*.sh: busybox root file systems, kernel modules, extra
# files and cpio packing. Source it after `set -euo pipefail`, with HVLIB_BUSYBOX and
# HVLIB_MODULES set (eval "$(scripts/fetch-guests.sh --env)"), and a function die().

# hv_rootfs_init DIR: an empty root with busybox and a symlink for each of its applets.
hv_rootfs_init() {
	local dir="$1" applet
	mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,lib/modules}
	cp "$HVLIB_BUSYBOX" "$dir/bin/busybox"
	while read -r applet; do
		[ -e "$dir/$applet" ] || ln -s /bin/busybox "$dir/$applet"
	done < <("$HVLIB_BUSYBOX" --list-full)
	: >"$dir/etc/hvlib-modules"
}

# The file of a module (names compare with - and _ alike; .ko, .ko.xz, .ko.zst or .ko.gz).
hv__mod_file() {
	local name="$1" f
	f="$(find "$HVLIB_MODULES/kernel" -regextype posix-extended \
		-regex ".*/(${name//[-_]/[-_]})\\.ko(\\.xz|\\.zst|\\.gz)?" -print -quit)"
	[ -n "$f" ] || die "module $name not found under $HVLIB_MODULES"
	echo "$f"
}

# Busybox's insmod loads plain ELF only: store every module uncompressed.
hv__mod_plain() {
	case "$1" in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) die "unknown module format $1" ;;
	esac
}

# A module's dependencies, comma-separated (modinfo, or the .modinfo depends= string).
hv__mod_depends() {
	if command -v modinfo >/dev/null; then
		modinfo -F depends "$1"
	else
		strings -a "$1" | sed -n 's/^depends=//p' | head -n1
	fi
}

# hv_add_module DIR NAME: copy NAME and, first, its dependencies (recursively) into DIR/lib/modules
# as NAME.ko, appending each to DIR/etc/hvlib-modules in load order (once).
hv_add_module() {
	local dir="$1" name="${2//-/_}" plain dep deps
	grep -qx "$name" "$dir/etc/hvlib-modules" && return 0
	plain="$dir/lib/modules/$name.ko"
	[ -f "$plain" ] && return 0 # being added higher up the recursion (a cycle): ignore
	hv__mod_plain "$(hv__mod_file "$2")" "$plain"
	deps="$(hv__mod_depends "$plain")"
	for dep in ${deps//,/ }; do
		hv_add_module "$dir" "$dep"
	done
	echo "$name" >>"$dir/etc/hvlib-modules"
}

# hv_add_file DIR SRC[:DST] DEFAULT_DIR: copy a file or directory into the root, at DST or at
# DEFAULT_DIR/<basename of SRC>. Warns about dynamically linked programs whose loader is not in the
# root (yet): there is no libc in there unless the caller carries it (tests/linux/itests_in_l1.sh).
hv_add_file() {
	local dir="$1" spec="$2" defdir="$3" src dst kind interp
	src="${spec%%:*}"
	if [ "$src" != "$spec" ]; then dst="${spec#*:}"; else dst="$defdir/$(basename "$src")"; fi
	[[ "$dst" == /* ]] || die "file $spec: destination must be an absolute path"
	[ -e "$src" ] || die "file $spec: $src does not exist"
	mkdir -p "$dir$(dirname "$dst")"
	cp -a "$src" "$dir$dst"
	if [ -f "$src" ] && [ -x "$src" ] && command -v file >/dev/null &&
		kind="$(file -b "$src")" && [[ "$kind" == ELF*executable*dynamically* ]]; then
		interp="$(sed -n 's/.*interpreter \([^ ,]*\).*/\1/p' <<<"$kind")"
		if [ -z "$interp" ] || [ ! -e "$dir$interp" ]; then
			echo "warning: $src is dynamically linked; the initramfs has no shared libraries" >&2
		fi
	fi
	return 0
}

# hv_pack DIR OUT: a newc cpio of DIR owned by root, gzip -1 (fast to build; the kernel unpacks
# it under the emulator, where a stronger level buys nothing). /dev/console is not needed: the
# kernel's built-in initramfs already has it, so /init's first line reaches the console.
hv_pack() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
		gzip -1 >"$2"
}
