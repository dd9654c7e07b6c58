// The composition root: the one place that knows every engine and picks one for a URL. It
// lives above core/ (which depends on no engine); a new engine or scheme is one branch here.
#include "core/engine.hpp"
#include "core/error_codes.hpp"
#include "core/fast_path.hpp"
#include "core/url.hpp"
#include "libsql/client.hpp"
#include "local/local_engine.hpp"
#include "remote/remote_engine.hpp"
#include "replica/replica_engine.hpp"

namespace libsql {

Client Client::open(const Config& config) {
  detail::ParsedUrl url = detail::parse_url(config.url, config.tls);
  if (config.websocket && (url.scheme == detail::Scheme::Http || url.scheme == detail::Scheme::Https ||
                           url.scheme == detail::Scheme::File)) {
    // As @libsql/client/ws's createClient: its libsql: URLs mean wss: (ws: with ?tls=0).
    throw detail::make_error(ErrorKind::Misuse, "URL_SCHEME_NOT_SUPPORTED",
                             "the WebSocket client (websocket = true) supports only \"libsql:\", \"wss:\" and "
                             "\"ws:\" URLs");
  }
  if (!config.sync_url.empty()) {
    if (url.scheme != detail::Scheme::File || url.memory) {
      throw detail::make_error(ErrorKind::Misuse, "URL_INVALID",
                               "an embedded replica (syncUrl) needs a file: url for its local copy");
    }
    // encryptionKey: the replica file is encrypted as a local file is (docs/sync.md,
    // "Encrypted replicas"); the pages travel from the server as the server sends them.
    return detail::FastPath::client(detail::ReplicaEngine::open(url, config));
  }
  if (url.scheme != detail::Scheme::File) {
    if (!config.encryption_key.empty()) {
      throw detail::make_error(ErrorKind::Misuse, "ENCRYPTION_NOT_SUPPORTED",
                               "encryptionKey is not supported for remote databases yet");
    }
    return detail::FastPath::client(detail::RemoteEngine::open(url, config));
  }
  return detail::FastPath::client(detail::LocalEngine::open(url, config));
}

}  // namespace libsql
