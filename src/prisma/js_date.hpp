#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// JavaScript `Date` semantics that the Prisma layer reproduces in C++: the time value range,
// parsing of the ISO-8601 / RFC-3339 strings Prisma sends, and `Date.prototype.toISOString`.
namespace libsql::prisma {

/// Largest |time value| a JS Date holds: 8.64e15 ms (ECMA-262 TimeClip), i.e. ±100,000,000 days.
inline constexpr std::int64_t kMaxJsDateMs = 8'640'000'000'000'000;

/// ECMA-262 TimeClip: NaN, ±Infinity and |ms| > 8.64e15 -> nullopt; otherwise truncated toward
/// zero (so -0.5 -> 0), as `new Date(ms).getTime()` does.
[[nodiscard]] std::optional<std::int64_t> js_time_clip(double ms) noexcept;

/// Epoch milliseconds of an ISO-8601 / RFC-3339 date as `new Date(text)` reads it, or nullopt.
/// Accepted: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (UTC), and `YYYY-MM-DD` + `T`|`t`|` ` +
/// `HH:MM[:SS[.f+]]` + `Z`|`z`|`±HH:MM`|`±HHMM`; years also as `±YYYYYY` (not -000000);
/// fraction digits past milliseconds are truncated; `24:00[:00[.000]]` is the next midnight.
/// Rejected where V8 is lenient (deliberately): dates that do not exist (`2023-02-29`,
/// `2024-04-31`; V8 rolls them over to March 1 / May 1), leap seconds (`:60`, V8 rejects too),
/// and a date-time without an offset (V8 reads it as *local* time, which depends on the host).
[[nodiscard]] std::optional<std::int64_t> parse_js_date(std::string_view text) noexcept;

/// `new Date(ms).toISOString()`: `YYYY-MM-DDTHH:MM:SS.mmmZ`, years outside 0000..9999 as
/// `+YYYYYY` / `-YYYYYY`. Precondition: |ms| <= kMaxJsDateMs (see js_time_clip).
[[nodiscard]] std::string to_js_iso_string(std::int64_t ms);

}  // namespace libsql::prisma
