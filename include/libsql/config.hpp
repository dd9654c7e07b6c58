#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace libsql {

class Error;

/// How integers are handed to a binding that cannot hold 64 bits exactly (mirrors intMode).
enum class IntMode { Number, Bigint, String };

/// SQLite's `PRAGMA synchronous` levels; Full is @libsql/client's default.
enum class Synchronous { Off, Normal, Full, Extra };

/// Client configuration. Field names mirror @libsql/client's config.
struct Config {
  std::string url{};                          ///< file:, :memory:, libsql:, https:, http:, ws:, wss:
  std::string auth_token{};                   ///< Bearer token for remote databases
  std::string sync_url{};                     ///< non-empty => embedded replica at `url`
  std::chrono::seconds sync_interval{0};      ///< periodic sync of an embedded replica; 0 = off
  bool read_your_writes = true;               ///< replica: a write returns after it synced back
  std::string encryption_key{};               ///< file: databases, encrypted as libSQL does
                                              ///< (SQLite3MC aes256cbc); not for replicas
  std::optional<bool> tls{};                  ///< overrides the scheme's TLS choice (as `?tls=`)
  IntMode int_mode = IntMode::Number;         ///< for bindings; the C++ API always has int64
  int concurrency = 20;                       ///< max parallel remote requests
  std::chrono::milliseconds timeout{0};       ///< remote request timeout; 0 = none

  // Local engine settings (not in @libsql/client).
  std::chrono::milliseconds busy_timeout{5000};  ///< how long a write waits for a lock
  Synchronous synchronous = Synchronous::Full;   ///< durability of a local file
  int read_connections = 2;                      ///< reader pool size for a file (>= 1)
  int statement_cache_size = 128;                ///< prepared statements kept per connection

  /// Embedded replica: told about every failed background sync (it is retried with backoff).
  /// Runs on the sync thread. Default: a line on stderr.
  std::function<void(const Error&)> on_sync_error{};
};

}  // namespace libsql
