#!/usr/bin/env bash
# How `dsc compile` links the C library (compiler/link.c): statically by default, dynamically for
# a program with a socket source (glibc's resolver needs the system's own libraries at run time)
# and for a dsc built with sanitizers, and as --link=static|dynamic says.  A static program
# carries no resolver (the socket receiver is linked only when a socket source registers it),
# has no program interpreter, and runs (its case mapping too, from the system's locale files); a
# dynamic one names ld.so as its interpreter.  Where mold is installed, it is the linker.
# Usage (from ctest): bash link_static.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
cd "$WORK"

# (whole outputs into grep: with pipefail, grep -q ending early would fail the pipe)
is_static() { ! grep -q 'Requesting program interpreter' <<<"$(readelf -l "$1")"; }
has_resolver() { grep -q 'getaddrinfo' <<<"$(nm "$1")"; }

compile() { # PROGRAM OUT [OPTION]: compiles, failing on any diagnostic (a linker warning too)
  "$DSC" compile "$1" -o "$2" "${@:3}" 2>compile.stderr ||
    { cat compile.stderr >&2; e2e_fail "dsc compile $1 ${*:3} failed"; }
  [[ ! -s compile.stderr ]] || { cat compile.stderr >&2; e2e_fail "dsc compile $1 ${*:3} warned"; }
}

sanitized=0
if grep -q 'libasan' <<<"$(ldd "$DSC" 2>/dev/null)"; then sanitized=1; fi

printf 'batch 1s\nstdin().flatMap(l => words(l)).countByValue().print()\n' >count.ds
printf 'b a b\n' >count.in
want=$'-------------------------------------------\nTime: 1970-01-01 00:00:01\n-------------------------------------------\n(\'b\', 2)\n(\'a\', 1)'

compile count.ds count_default
if ((sanitized)); then
  is_static count_default && e2e_fail "a sanitized dsc linked count.ds statically"
else
  is_static count_default || e2e_fail "count.ds was not linked statically by default"
  ! has_resolver count_default || e2e_fail "count.ds links the resolver"
  compile count.ds count_static --link=static
  is_static count_static || e2e_fail "--link=static did not link statically"
fi
[[ $(./count_default --manual-clock <count.in) == "$want" ]] || e2e_fail "count_default's output"

# case mapping beyond ASCII needs the system's C.UTF-8 locale files, which a static glibc loads
printf 'batch 1s\nstdin().map(l => upper(l) + " " + lower(l)).stdout()\n' >case.ds
compile case.ds case_default
[[ $(echo 'naïve Été ΣΑΣ' | ./case_default --manual-clock) == 'NAÏVE ÉTÉ ΣΑΣ naïve été σας' ]] ||
  e2e_fail "case_default's case mapping: $(echo 'naïve Été ΣΑΣ' | ./case_default --manual-clock)"

if command -v mold >/dev/null; then
  grep -q 'mold' <<<"$(readelf -p .comment count_default)" || e2e_fail "count.ds was not linked by mold"
fi

compile count.ds count_dynamic --link=dynamic
is_static count_dynamic && e2e_fail "--link=dynamic linked statically"
[[ $(./count_dynamic --manual-clock <count.in) == "$want" ]] || e2e_fail "count_dynamic's output"

compile "$SRC/bench/programs/wordcount_socket.ds" socket_default
is_static socket_default && e2e_fail "a program with a socket source was linked statically"
has_resolver socket_default || e2e_fail "the socket program has no resolver"
echo "PASS"
