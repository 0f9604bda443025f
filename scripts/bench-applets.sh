#!/usr/bin/env bash
# x/applets benchmarks: metering overhead (instrumented / plain, same process),
# events/s through EndBlock (AssemblyScript, Go, native Go reference) and the
# parallel speed-up of 8 instances (one worker vs one per CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${BENCH_COUNT:-3}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

echo "== metering overhead (x/applets/vm BenchmarkMetering, median of $count)"
go test ./x/applets/vm -run '^$' -bench 'BenchmarkMetering' -benchtime 0.5s -count "$count" | tee "$tmp" >/dev/null
awk '/^BenchmarkMetering/ { split($1, p, "/"); sub(/-[0-9]+$/, "", p[3]); v[p[2], p[3], ++n[p[2], p[3]]] = $3; w[p[2]] = 1 }
function med(k1, k2,   c, i, j, t, a) { c = n[k1, k2]; for (i = 1; i <= c; i++) a[i] = v[k1, k2, i]
  for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return a[int((c + 1) / 2)] }
END { printf "%-18s %12s %12s %7s\n", "workload", "plain ns/op", "metered", "ratio"
  for (k in w) printf "%-18s %12d %12d %7.2f\n", k, med(k, "plain"), med(k, "metered"), med(k, "metered") / med(k, "plain") }' "$tmp"

echo
echo "== EndBlock events/s and parallel speed-up (x/applets/keeper, median of $count)"
go test ./x/applets/keeper -run '^$' -bench 'BenchmarkEndBlock|BenchmarkParallel' -benchtime 20x -count "$count" | tee "$tmp" >/dev/null
awk '/events\/s/ { name = $1; sub(/-[0-9]+$/, "", name); for (i = 1; i <= NF; i++) if ($(i + 1) == "events/s") v[name, ++n[name]] = $i; names[name] = 1 }
function med(k,   c, i, j, t, a) { c = n[k]; for (i = 1; i <= c; i++) a[i] = v[k, i]
  for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return a[int((c + 1) / 2)] }
END { for (k in names) printf "%-52s %10.0f events/s\n", k, med(k)
  for (a in names) if (a ~ /workers=1$/) { b = a; sub(/workers=1$/, "workers=cpus", b)
    printf "speed-up %-43s %10.2fx\n", a, med(b) / med(a) } }' "$tmp" | sort
