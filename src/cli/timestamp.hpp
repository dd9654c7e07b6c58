#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "libsql/value.hpp"

namespace libsql::cli {

/// Milliseconds since the Unix epoch, UTC.
using EpochMillis = std::int64_t;

/// A `_prisma_migrations` DATETIME as any writer stored it: integer milliseconds (Prisma's
/// native engine), a real, ISO-8601 text (`2026-11-24T00:13:48.791+00:00`, `...Z`, Prisma
/// 6's adapter path), SQLite's `CURRENT_TIMESTAMP` text (`2026-11-24 00:13:48`, UTC), or
/// integer text. Nullopt for NULL, blobs and text it cannot read.
[[nodiscard]] std::optional<EpochMillis> parse_timestamp(const Value& value);
[[nodiscard]] std::optional<EpochMillis> parse_timestamp_text(std::string_view text);

/// `2026-11-24T00:13:48.791+00:00`: what Prisma 6's adapter path writes (and reads back).
[[nodiscard]] std::string format_iso_millis(EpochMillis ms);
/// `2026-11-24 00:13:48 UTC`, for people.
[[nodiscard]] std::string format_human(EpochMillis ms);

[[nodiscard]] EpochMillis now_millis();

}  // namespace libsql::cli
