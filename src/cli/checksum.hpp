#pragma once

#include <string>
#include <string_view>

namespace libsql::cli {

/// What Prisma records in `_prisma_migrations.checksum`: the SHA-256 of the migration.sql
/// file's bytes, as 64 lower-case hex digits.
[[nodiscard]] std::string migration_checksum(std::string_view script);

/// Whether `script` matches a recorded checksum the way Prisma decides it: the file as is,
/// with CRLF turned into LF, or with LF turned into CRLF (git may have changed line endings
/// since the migration was applied); and, for checksums that are not 64 characters long,
/// the unpadded hex form early Prisma versions wrote.
[[nodiscard]] bool checksum_matches(std::string_view script, std::string_view recorded);

}  // namespace libsql::cli
