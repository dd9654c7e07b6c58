#include "remote/ca_bundle.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace libsql::detail {
namespace {

struct CaLocations {
  std::string file;  // CURLOPT_CAINFO, empty: curl's default
  std::string dir;   // CURLOPT_CAPATH, empty: curl's default
};

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

CaLocations find_ca_locations() {
  CaLocations found;
  if (const char* dir = env("SSL_CERT_DIR")) found.dir = dir;
  if (const char* file = env("SSL_CERT_FILE")) {
    found.file = file;
    return found;
  }
  static constexpr const char* kBundles[] = {
      "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu, Gentoo, Arch, Alpine
      "/etc/pki/tls/certs/ca-bundle.crt",                   // RHEL, CentOS, Fedora
      "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // RHEL 7+, Fedora
      "/etc/ssl/ca-bundle.pem",                             // openSUSE
      "/etc/ssl/cert.pem",                                  // Alpine, macOS, FreeBSD
      "/usr/local/share/certs/ca-root-nss.crt",             // FreeBSD
  };
  for (const char* path : kBundles) {
    if (::access(path, R_OK) == 0) {
      found.file = path;
      break;
    }
  }
  return found;
}

const CaLocations& ca_locations() {
  static const CaLocations ca = find_ca_locations();  // thread-safe; the environment read once
  return ca;
}

}  // namespace

void ca_bundle_paths(std::string& file, std::string& dir) {
  file = ca_locations().file;
  dir = ca_locations().dir;
}

void set_ca_bundle(CURL* easy) noexcept {
  const CaLocations& ca = ca_locations();
  if (!ca.file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, ca.file.c_str());
  if (!ca.dir.empty()) curl_easy_setopt(easy, CURLOPT_CAPATH, ca.dir.c_str());
}

}  // namespace libsql::detail
