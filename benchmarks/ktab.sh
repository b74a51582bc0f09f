#!/bin/bash
# Build KTAB's `smpc` (-O2) outside this repository, for benchmarks/peers.py's smp row (issue 14).
#
#   bash benchmarks/ktab.sh [PEERS_DIR]      # default $DETENTE_PEERS_DIR, else a new temp dir
#   export DETENTE_KTAB_SMPC=PEERS_DIR/smpc-run.sh   (printed at the end; peers.py also looks
#                                                  for PEERS_DIR/smpc-run.sh on its own)
#
# Needs Debian's qtbase5-dev libtinyxml2-dev libeasyloggingpp-dev libsqlite3-dev, cmake and g++
# (the script says which are missing and stops with status 2). The KTAB sources are
# PEERS_DIR/KTAB if present (a checkout of lsyaseen/KTAB, the fork with KAPSARC/KTAB's history,
# commit 3b5b063, the one ../shared/reference/ktab was made with), else cloned from GitHub.
# Recipe (../shared/docs/PEERS.md §1.3): easylogging++ as a static archive with KTAB's own
# CMakeLists (Debian ships only its source), then kutils, kmodel and the smpc target of
# examples/smp; KTAB's CMake files force a Debug build, so -O2 is passed in CMAKE_CXX_FLAGS
# (results byte-identical to the unoptimised build, PEERS.md §1.4). The GUIs stay configured:
# disabling them breaks the CLI's link. About a minute on two cores.
#
# smpc-run.sh runs smpc as a user would for one CSV: in a fresh directory holding KTAB's
# smpc-logger.conf, writing its SQLite database there (smpc needs one; at 80 actors it is about
# 1 GB), and removes the directory afterwards, so the database's cost is in the time.
set -euo pipefail

PEERS=${1:-${DETENTE_PEERS_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/detente-peers.XXXXXX")}}
PEERS=$(realpath -m -- "$PEERS")
COMMIT=3b5b063541c7d5ee36cc9c61d9d3e0717f2d180f
K=$PEERS/KTAB
B=$PEERS/ktab-build

missing=()
for pkg in qtbase5-dev libtinyxml2-dev libeasyloggingpp-dev libsqlite3-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
for tool in cmake g++ make git; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "benchmarks/ktab.sh: missing ${missing[*]}; install with: apt-get install ${missing[*]}" >&2
  exit 2
fi

mkdir -p "$PEERS"
if [ ! -d "$K/KTAB/kutils" ]; then
  echo "cloning KTAB into $K"
  git clone -q https://github.com/lsyaseen/KTAB.git "$K"
  git -C "$K" checkout -q "$COMMIT"
fi

start=$(date +%s)
trap 'echo "benchmarks/ktab.sh: the build failed; see $B/build.log" >&2' ERR
mkdir -p "$B/elpp-src/src"
cp "$K/easyloggingpp/CMakeLists.txt" "$B/elpp-src/"
cp /usr/include/easylogging++.h /usr/include/easylogging++.cc "$B/elpp-src/src/"
cmake -S "$B/elpp-src" -B "$B/elpp" -DCMAKE_CXX_FLAGS=-O2 -DCMAKE_INSTALL_PREFIX="$B/elpp-install" > "$B/build.log" 2>&1
nice make -C "$B/elpp" -j2 >> "$B/build.log" 2>&1
make -C "$B/elpp" install >> "$B/build.log" 2>&1
for part in kutils kmodel; do  # their libraries land in KTAB's source tree (its CMake files)
  cmake -S "$K/KTAB/$part" -B "$B/$part" -DCMAKE_CXX_FLAGS=-O2 -DCMAKE_PREFIX_PATH="$B/elpp-install" >> "$B/build.log" 2>&1
  nice make -C "$B/$part" -j2 "$part" >> "$B/build.log" 2>&1
done
cmake -S "$K/examples/smp" -B "$B/smp" -DCMAKE_CXX_FLAGS=-O2 -DCMAKE_PREFIX_PATH="$B/elpp-install" >> "$B/build.log" 2>&1
nice make -C "$B/smp" -j2 smpc >> "$B/build.log" 2>&1
test -x "$K/examples/smp/smpc"

cat > "$PEERS/smpc-run.sh" <<EOF
#!/bin/bash
# smpc for one input (written by detente's benchmarks/ktab.sh): a fresh directory with KTAB's
# logger configuration and a throwaway SQLite database, removed afterwards; smpc's exit status.
args=(); have_conn=0
while [ \$# -gt 0 ]; do
  case "\$1" in
    --csv|--xml) args+=("\$1"); [ \$# -ge 2 ] && { args+=("\$(realpath -m -- "\$2")"); shift; } ;;
    --connstr) have_conn=1; args+=("\$1"); [ \$# -ge 2 ] && { args+=("\$2"); shift; } ;;
    *) args+=("\$1") ;;
  esac
  shift
done
tmp=\$(mktemp -d "\${TMPDIR:-/tmp}/smpc-run.XXXXXX") || exit 1
trap 'rm -rf -- "\$tmp"' EXIT
cp -- "$K/examples/smp/smpc-logger.conf" "\$tmp/" || exit 1
[ \$have_conn -eq 0 ] && args+=(--connstr "Driver=QSQLITE;Database=run")
cd "\$tmp" || exit 1
"$K/examples/smp/smpc" "\${args[@]}"
rc=\$?
# smpc exits 0 even when it could not read its input: no database means no run
if [ \$rc -eq 0 ] && [ \$have_conn -eq 0 ] && [ ! -s run.db ]; then
  echo "smpc-run.sh: smpc wrote no database (input unreadable?)" >&2; rc=1
fi
exit \$rc
EOF
chmod +x "$PEERS/smpc-run.sh"
echo "built $K/examples/smp/smpc in $(( $(date +%s) - start )) s (log: $B/build.log)"
echo "export DETENTE_KTAB_SMPC=$PEERS/smpc-run.sh"
