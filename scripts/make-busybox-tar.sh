#!/usr/bin/env bash
# Writes to stdout a deterministic tar of a minimal busybox root file system built from the host's static
# busybox (Debian package busybox-static): /bin/busybox, one hard link per applet, /etc/passwd, /etc/group and
# the usual empty directories. Same host busybox → same bytes → same image ID on import.
#   usage: scripts/make-busybox-tar.sh > busybox.tar      (BUSYBOX=/path/to/busybox to override)
set -euo pipefail
export LC_ALL=C
BUSYBOX=${BUSYBOX:-/bin/busybox}
if [ ! -x "$BUSYBOX" ]; then
  echo "make-busybox-tar: $BUSYBOX not found (apt-get install busybox-static)" >&2
  exit 1
fi
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  echo "make-busybox-tar: $BUSYBOX is dynamically linked; install busybox-static" >&2
  exit 1
fi
if [ -t 1 ]; then
  echo "make-busybox-tar: refusing to write a tar to a terminal; redirect stdout" >&2
  exit 1
fi

umask 022
root=$(mktemp -d "${TMPDIR:-/tmp}/berth-busybox.XXXXXX")
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,proc,sys,dev,home,var,var/spool/mail,var/www}
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
install -m 0755 "$BUSYBOX" "$root/bin/busybox"

"$BUSYBOX" --list-full | sort -u | while IFS= read -r applet; do
  case "$applet" in
    ''|bin/busybox|linuxrc|*/../*|../*|/*) continue ;;
  esac
  mkdir -p "$root/$(dirname "$applet")"
  [ -e "$root/$applet" ] || ln "$root/bin/busybox" "$root/$applet"
done

cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
GROUP
chmod 0644 "$root/etc/passwd" "$root/etc/group"

# Every entry gets the busybox binary's mtime: stable for a given busybox, and a meaningful "Created" date.
mtime=$(stat -c %Y "$BUSYBOX")
tar -C "$root" --sort=name --format=gnu --mtime=@"$mtime" --owner=0 --group=0 --numeric-owner \
  --no-acls --no-xattrs --no-selinux -cf - .
