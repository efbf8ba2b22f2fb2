#!/usr/bin/env bash
# test_cache.sh KILN GUEST_DIR SRC_DIR WORK -- `kiln run`'s cache (docs/run.md, "The cache"):
#
# - it is private: the directory is created 0700 (an existing 0755 one is made 0700), entries
#   are 0600; a cache directory other users can write to, a symlink, or (as root) one that
#   belongs to someone else is not used, with one warning, and a planted entry there is never
#   run;
# - entries are what this user wrote: a FIFO in place of an entry or of its .sum never blocks
#   kiln (timeout 60), a truncated, rewritten or swapped entry is rebuilt and replaced, an
#   entry of another user (as root) is not loaded;
# - a warm run reads neither the whole shared object nor its .sum beyond a few KiB (strace,
#   when installed).
# misc.wasm exits 42 and trap.wasm traps (134): an entry of trap.wasm planted under
# misc.wasm's key shows whether a planted entry runs.
set -uo pipefail
source "$(dirname "$0")/../../lib/lib.sh"
kiln=$(abspath "$1") guests=$(abspath "$2") src=$(abspath "$3")
enter_work "$4"
work=$PWD
misc=$guests/misc.wasm trap=$guests/trap.wasm
misc_out=$src/expected/misc.out

# run_misc NAME CACHE_HOME [STDERR]: kiln run misc.wasm with XDG_CACHE_HOME=CACHE_HOME must exit
# 42 with misc's output (so nothing planted ran) and STDERR (default: nothing), in 60 s.
run_misc() {
    if [[ -n ${3:-} ]]; then printf '%s\n' "$3" | want_stderr; fi
    want_stdout <"$misc_out"
    XDG_CACHE_HOME=$2 check "$1" 42 timeout 60 "$kiln" run "$misc"
}

# mode PATH: the permission bits, octal.
mode() { stat -c %a "$1"; }

# --- a fresh cache is private -------------------------------------------------------------
run_misc "cold run" "$work/c1"
[[ $(mode c1) == 700 && $(mode c1/kiln) == 700 ]] ||
    fail "new cache directories: $(mode c1) $(mode c1/kiln), want 700 700"
so=$(echo c1/kiln/*.so)
key=$(basename "$so" .so)
[[ -f $so && -f $so.sum ]] || die "no entry in c1/kiln: $(ls -A c1/kiln)"
[[ $(mode "$so") == 600 && $(mode "$so.sum") == 600 ]] ||
    fail "entry modes $(mode "$so") $(mode "$so.sum"), want 600 600"
[[ -z $(find c1 -name '*.tmp.*') ]] || fail "temporary files left: $(find c1 -name '*.tmp.*')"
run_misc "warm run" "$work/c1"

# A warm run reads a few KiB of the entry, never all of it.
if command -v strace >/dev/null 2>&1; then
    XDG_CACHE_HOME=$work/c1 strace -f -e trace=read,pread64 -o strace.log "$kiln" run "$misc" \
        >/dev/null 2>&1
    big=$(awk '/pread64|read\(/ { n = $NF + 0; if (n > 8192 && $0 !~ /1048576/) print }' strace.log |
        grep -v '= 0$' | head -3)
    if [[ -z $big ]]; then
        pass "warm run: no read over 8 KiB but the module's own"
    else
        fail "warm run reads: $big"
    fi
fi

# --- entries this user did not write are rebuilt --------------------------------------------
# trap.wasm's entry and .sum, copied under misc.wasm's key, must never run.
XDG_CACHE_HOME=$work/ct "$kiln" run "$trap" >/dev/null 2>&1
trap_so=$(echo ct/kiln/*.so)
[[ -f $trap_so ]] || die "no trap.wasm entry"
# A cache directory other users can write to: not used at all (warning), whatever is in it.
mkdir -p c2/kiln
cp c1/kiln/* c2/kiln/
cp "$trap_so" "c2/kiln/$key.so"
cp "$trap_so.sum" "c2/kiln/$key.so.sum"
chmod 777 c2/kiln
run_misc "cache writable by others: not used" "$work/c2" \
    "kiln run: warning: not using the cache $work/c2/kiln: other users can write to it (mode 0777); compiling in a temporary directory instead (make it yours and private, chmod 700, or remove it)"
[[ $(mode c2/kiln) == 777 ]] || fail "the unsafe cache was changed: $(mode c2/kiln)"
cmp -s "$trap_so" "c2/kiln/$key.so" || fail "the unsafe cache's entry was replaced"

# A symlink to a private cache: not used either (it could be swapped).
mkdir -p c3
ln -s "$work/c1/kiln" c3/kiln
run_misc "cache is a symlink: not used" "$work/c3" \
    "kiln run: warning: not using the cache $work/c3/kiln: it is a symbolic link; compiling in a temporary directory instead (make it yours and private, chmod 700, or remove it)"

# A 0755 directory of this user (what older versions made) is made private and used.
mkdir -p c4/kiln
chmod 755 c4 c4/kiln
run_misc "0755 cache" "$work/c4"
[[ $(mode c4/kiln) == 700 ]] || fail "a 0755 cache directory became $(mode c4/kiln), want 700"
[[ -f c4/kiln/$key.so ]] || fail "the 0755 cache was not used"

# An entry swapped for another one (another module's, with that module's .sum): rebuilt.
mkdir -p c5/kiln && chmod 700 c5/kiln
cp -p "$trap_so" "c5/kiln/$key.so"
cp -p "$trap_so.sum" "c5/kiln/$key.so.sum"
run_misc "swapped entry: rebuilt" "$work/c5"
cmp -s "c5/kiln/$key.so" "$trap_so" && fail "swapped entry: still trap.wasm's"

# Truncated (a partial copy), and rewritten in place with the same size: rebuilt.
size=$(stat -c %s "$so")
truncate -s $((size / 2)) "$so"
run_misc "truncated entry: rebuilt" "$work/c1"
[[ $(stat -c %s "$so") == "$size" ]] || fail "truncated entry: size $(stat -c %s "$so"), want $size"
printf 'XXXX' | dd of="$so" bs=1 seek=$((size / 2)) conv=notrunc status=none
run_misc "entry rewritten in place: rebuilt" "$work/c1"
cmp -s "$so" "c4/kiln/$key.so" || fail "rewritten entry: not rebuilt"

# A FIFO in place of the entry, or of its .sum: no hang, rebuilt into a regular file.
rm -f "$so" && mkfifo "$so"
run_misc "FIFO in place of the entry" "$work/c1"
[[ -f $so && ! -p $so ]] || fail "FIFO entry: not replaced by a regular file"
rm -f "$so.sum" && mkfifo "$so.sum"
run_misc "FIFO in place of the .sum" "$work/c1"
[[ -f $so.sum && ! -p $so.sum ]] || fail "FIFO .sum: not replaced by a regular file"
# A directory in place of the entry cannot be replaced: the run goes on from a temporary one.
# --cpu: on x86-64 and aarch64 the default is native (this machine's CPU, keyed by
# host_cpu_key), elsewhere the port's baseline (generic); the other one is an entry of its
# own, warm on its second run.
case $(uname -m) in
x86_64 | aarch64) default_cpu=native other_cpu=generic ;;
*) default_cpu=generic other_cpu=native ;;
esac
want_stdout <"$misc_out"
XDG_CACHE_HOME=$work/c1 check "--cpu $default_cpu: the default's entry" 42 "$kiln" run --cpu $default_cpu "$misc"
[[ $(ls c1/kiln/*.so | wc -l) == 1 ]] || fail "--cpu $default_cpu made another entry: $(ls c1/kiln)"
want_stdout <"$misc_out"
XDG_CACHE_HOME=$work/c1 check "--cpu $other_cpu: cold" 42 "$kiln" run --cpu $other_cpu "$misc"
[[ $(ls c1/kiln/*.so | wc -l) == 2 ]] || fail "--cpu $other_cpu: $(ls c1/kiln), want 2 entries"
stamp=$(stat -c %Y.%i c1/kiln/*.so | sort | tr '\n' ' ')
want_stdout <"$misc_out"
XDG_CACHE_HOME=$work/c1 check "--cpu $other_cpu: warm" 42 "$kiln" run --cpu $other_cpu "$misc"
[[ $(stat -c %Y.%i c1/kiln/*.so | sort | tr '\n' ' ') == "$stamp" ]] ||
    fail "--cpu $other_cpu: the second run rebuilt an entry"

rm -f "$so" && mkdir "$so"
run_misc "directory in place of the entry" "$work/c1"
rmdir "$so"

# As root: a cache or an entry that belongs to another user is not trusted.
if [[ $(id -u) == 0 ]] && id nobody >/dev/null 2>&1; then
    mkdir -p c6/kiln && chmod 700 c6/kiln && chown nobody c6/kiln
    run_misc "cache of another user: not used" "$work/c6" \
        "kiln run: warning: not using the cache $work/c6/kiln: it belongs to user $(id -u nobody), not to you (0); compiling in a temporary directory instead (make it yours and private, chmod 700, or remove it)"
    run_misc "private cache" "$work/c1"
    chown nobody "$so"
    run_misc "entry of another user: rebuilt" "$work/c1"
    [[ $(stat -c %u "$so") == 0 ]] || fail "entry of another user: not replaced"
fi
finish
