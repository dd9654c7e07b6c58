#pragma once

#include <curl/curl.h>

#include <string>

namespace libsql::detail {

// Points a curl handle at the machine's CA certificates. A libcurl built into the addon and
// the CLI (cmake/curl.cmake) has no compiled-in path that fits every distribution, so the
// bundle is looked up once at run time: $SSL_CERT_FILE (and $SSL_CERT_DIR), as OpenSSL reads
// them, else the first file found among the Debian/Ubuntu, RHEL/Fedora, openSUSE, Alpine and
// macOS locations. Nothing found: curl's own default is left alone (verification stays on,
// so a connection then fails with a certificate error rather than going unchecked).
void set_ca_bundle(CURL* easy) noexcept;

/// The same lookup for code that sets up OpenSSL itself (the WebSocket client): the CA file and
/// directory found, either empty when none was (then OpenSSL's default paths are used).
void ca_bundle_paths(std::string& file, std::string& dir);

}  // namespace libsql::detail
