#pragma once

#include <memory>

namespace libsql::detail {

/// Drops `object` on the reaper thread instead of the calling one: for an object whose last
/// reference may go away on a thread that cannot destroy it, such as an HTTP transport released
/// inside one of its own callbacks (its I/O thread cannot join itself). The reaper thread is
/// owned: started on first use, and joined at process exit once it has dropped everything
/// handed to it. Never throws; if the thread cannot be started, the object is dropped here.
void release_elsewhere(std::shared_ptr<void> object) noexcept;

}  // namespace libsql::detail
