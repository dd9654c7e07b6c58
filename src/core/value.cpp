#include "libsql/value.hpp"

#include <cstring>

namespace libsql {

Blob make_blob(std::string_view bytes) {
  Blob b;
  b.bytes.resize(bytes.size());
  if (!bytes.empty()) std::memcpy(b.bytes.data(), bytes.data(), bytes.size());
  return b;
}

}  // namespace libsql
