#pragma once

#include <string>

namespace libsql::detail {

/// Durable file replacement, the one way the replica puts a new file in place (its database
/// image on bootstrap or reset, its metadata): the new content is complete and fsynced in a
/// temp file next to the target, renamed over it, and the directory is fsynced so the rename
/// itself survives a crash (POSIX: the directory entry lives in the directory).
/// Errors: libsql::Error, kind Sqlite, SQLITE_IOERR (the OS reason in the message).

/// fsync of the file at `path`.
void sync_file(const std::string& path);
/// rename(`tmp`, `path`), then fsync of their directory. `tmp` must already be synced.
void rename_durably(const std::string& tmp, const std::string& path);
/// fsync of the directory holding `path` (a file system without directory fsync is accepted).
void sync_parent_directory(const std::string& path);

}  // namespace libsql::detail
