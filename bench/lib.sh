# Shared by the bench scripts (sourced). Run from the repository root.

# Commands run when the script exits, in the order added (one EXIT trap runs them all).
exit_hooks=()
on_exit() {
  exit_hooks+=("$1")
  trap 'for h in "${exit_hooks[@]}"; do eval "$h" || true; done' EXIT
}

# The test classpath (the target server lives in the test sources), in $cp.
test_classpath() {
  mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
    -Dmdep.includeScope=test
  cp="target/test-classes:target/classes:$(cat target/bench.classpath)"
}

# Starts the benchmark target server (bench/BenchTarget.java, plain java.nio, JDK only) on
# 127.0.0.1:$1 (log in $2), stopped on exit.
start_target() {
  java -Xmx256m -XX:+UseParallelGC bench/BenchTarget.java "$1" > "$2" 2>&1 &
  target_pid=$!
  on_exit 'kill $target_pid 2>/dev/null'
  for _ in $(seq 1 100); do
    grep -q "target listening" "$2" && return 0
    sleep 0.2
  done
  echo "the target server did not start: $(cat "$2")" >&2
  return 1
}

# Splits the arguments into --store NAME (h2, the default, or postgres; also BENCH_STORE)
# and the others, which are left in $args.
parse_store() {
  store="${BENCH_STORE:-h2}"
  args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --store) store="$2"; shift 2 ;;
      --store=*) store="${1#*=}"; shift ;;
      *) args+=("$1"); shift ;;
    esac
  done
  case "$store" in
    h2|postgres) ;;
    *) echo "unknown store $store (h2 or postgres)" >&2; exit 2 ;;
  esac
}

# Points the service (and bench/JournalRate.java) at the store named by $store, through the
# service's own variables. h2: the H2 file in the driver's fresh data directory (any
# FETCHRUNNER_STORE_* of the caller is unset). postgres: a database of its own, created here
# and dropped on exit, on BENCH_PG_HOST:BENCH_PG_PORT (127.0.0.1:5432) as BENCH_PG_USER
# (postgres, no password: trust authentication), schema fetchrunner. Prints the store line.
use_store() {
  unset FETCHRUNNER_STORE_URL FETCHRUNNER_STORE_USER FETCHRUNNER_STORE_PASSWORD \
    FETCHRUNNER_STORE_SCHEMA
  if [ "$store" = h2 ]; then
    echo "store: H2 file (fresh data directory)"
    return 0
  fi
  local host="${BENCH_PG_HOST:-127.0.0.1}" port="${BENCH_PG_PORT:-5432}"
  local user="${BENCH_PG_USER:-postgres}"
  pg_db="fetchrunner_bench_$$_$(date +%s)"
  createdb -h "$host" -p "$port" -U "$user" "$pg_db"
  pg_drop="dropdb --if-exists --force -h $host -p $port -U $user $pg_db"
  on_exit "$pg_drop"
  export FETCHRUNNER_STORE_URL="jdbc:postgresql://$host:$port/$pg_db"
  export FETCHRUNNER_STORE_USER="$user" FETCHRUNNER_STORE_PASSWORD="${PGPASSWORD:-}"
  export FETCHRUNNER_STORE_SCHEMA=fetchrunner
  echo "store: $(psql -h "$host" -p "$port" -U "$user" -d "$pg_db" -Atc 'select version()' \
    | cut -d' ' -f1,2) on $host:$port, fresh database $pg_db (dropped on exit), schema fetchrunner"
}

# Checks and builds the reference clients named in $1 (go, aiohttp, pekko; comma-separated):
# those that can run go into $peers_ok, the others are named with what to install.
use_peers() {
  peers_ok=""
  local p
  for p in ${1//,/ }; do
    case "$p" in
      go)
        if command -v go > /dev/null; then
          go build -o target/peer-go bench/peers/fetch.go
          peers_ok+="go,"; echo "peer go: $(go version)"
        else
          echo "peer go: skipped (apt-get install -y golang-go)"
        fi ;;
      aiohttp)
        if /usr/bin/python3 -c 'import aiohttp' 2> /dev/null; then
          peers_ok+="aiohttp,"
          echo "peer aiohttp: $(/usr/bin/python3 -c 'import aiohttp, sys; print("aiohttp", aiohttp.__version__, "on Python", sys.version.split()[0])')"
        else
          echo "peer aiohttp: skipped (apt-get install -y python3-aiohttp)"
        fi ;;
      pekko) peers_ok+="pekko,"; echo "peer pekko: the service's Pekko HTTP client alone (bench/peers/PekkoPeer.java)" ;;
      *) echo "unknown peer $p (go, aiohttp, pekko)" >&2; exit 2 ;;
    esac
  done
  peers_ok="${peers_ok%,}"
}
