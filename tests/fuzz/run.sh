#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time: the Hrana response
# decoder for `seconds` (default 60), and each parser of parsers_fuzz.cpp for a seventh of it.
# Usage: tests/fuzz/run.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp tests/fuzz/corpus/* "$work/"
echo "== fuzzing the Hrana response decoder for ${seconds}s"
build/fuzz/hrana_fuzz -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$work" 2>&1 | tail -n 15
per_parser=$(( seconds / 7 > 0 ? seconds / 7 : 1 ))
for parser in url sql pull dotenv lock meta migration grpc prisma; do
  dir=$(mktemp -d -p "$work")
  cp tests/fuzz/corpus-parsers/"$parser"/* "$dir/" 2>/dev/null || true
  echo "== fuzzing the $parser parser for ${per_parser}s"
  LIBSQL_FUZZ_PARSER=$parser build/fuzz/src/cli/parsers_fuzz -max_total_time="$per_parser" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 "$dir" 2>&1 | grep -E "stat::number_of_executed_units|ERROR|SUMMARY|crash-|Done"
done
