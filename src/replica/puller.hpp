#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/url.hpp"
#include "replica/page_image.hpp"

// The seam between the replica engine and the sync protocols (docs/sync.md, "The puller
// seam"). A puller knows one wire protocol; the engine knows pages, commits and resets.

namespace libsql::detail {

/// Where a replica is: what its metadata stores.
struct ReplicaPosition {
  std::string revision{};  ///< "" = nothing yet (bootstrap)
  std::string log_id{};    ///< libSQL replication only
};

/// Protocol names, as the replica metadata stores them.
inline constexpr std::string_view kProtocolTursoSync = "turso-sync";
inline constexpr std::string_view kProtocolLibsqlGrpc = "libsql-grpc";
inline constexpr std::string_view kProtocolTursoCloudHttp = "turso-cloud-http";

class ReplicaPuller {
 public:
  virtual ~ReplicaPuller() = default;
  [[nodiscard]] virtual std::string_view protocol() const noexcept = 0;
  /// Pulls every change after `from`, up to the server's position when the pull began, and
  /// hands each unit to `apply`, in order, on the calling thread. Each unit is a whole
  /// number of server commits; `apply` makes it durable and stores its position before it
  /// returns (the next unit continues from it). A unit with replace_base is a whole image
  /// (a reset). From an empty position the units together make the whole database.
  /// Throws libsql::Error (from the protocol or from `apply`); what was applied stays.
  virtual void pull(const ReplicaPosition& from, const std::function<void(PullResult&)>& apply) = 0;
  /// Fails pulls in flight with CLIENT_CLOSED. Idempotent.
  virtual void close() = 0;
};

/// Throws URL_SCHEME_NOT_SUPPORTED unless `sync_url` names a remote server.
void require_remote_sync_url(const ParsedUrl& sync_url);

/// The HTTP base every puller appends its routes to: http(s)://host[:port][/path], with the
/// path's trailing slashes dropped (the official clients would send "//route", a 404).
/// Throws as require_remote_sync_url.
std::string sync_base_url(const ParsedUrl& sync_url);

/// Folds `unit` into `into` as if both had been applied in turn (pages deduplicated, the
/// last wins; the unit's size, revision, log_id; frames added). A bootstrap collects the
/// units of a pull this way into one image.
void merge_unit(PullResult& into, PullResult&& unit);

}  // namespace libsql::detail
