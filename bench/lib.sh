# Shared by the bench scripts (sourced). Run from the repository root.

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
  trap 'kill $target_pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    grep -q "target listening" "$2" && return 0
    sleep 0.2
  done
  echo "the target server did not start: $(cat "$2")" >&2
  return 1
}
