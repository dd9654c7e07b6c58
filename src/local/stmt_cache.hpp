#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "local/sqlite_handles.hpp"

namespace libsql::detail {

/// Prepared statements of one connection, least recently used evicted first.
/// Not thread-safe: a connection is used by one thread at a time.
class StmtCache {
 public:
  explicit StmtCache(std::size_t capacity) : capacity_(capacity) {}
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;

  /// The cached statement for `sql`, or nullptr.
  sqlite3_stmt* find(std::string_view sql) {
    auto it = index_.find(sql);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second.get();
  }

  /// Takes ownership of `stmt` and returns it.
  sqlite3_stmt* insert(std::string sql, StmtHandle stmt) {
    if (capacity_ == 0) {
      uncached_ = std::move(stmt);  // kept alive until the next insert
      return uncached_.get();
    }
    if (auto it = index_.find(std::string_view(sql)); it != index_.end()) {
      // Already cached: the new statement replaces the old one (finalized here), so the list
      // never holds an entry the index does not know about.
      it->second->second = std::move(stmt);
      lru_.splice(lru_.begin(), lru_, it->second);
      return lru_.front().second.get();
    }
    if (index_.size() >= capacity_) {
      index_.erase(std::string_view(lru_.back().first));
      lru_.pop_back();
    }
    lru_.emplace_front(std::move(sql), std::move(stmt));
    index_.emplace(std::string_view(lru_.front().first), lru_.begin());
    return lru_.front().second.get();
  }

  void clear() {
    index_.clear();
    lru_.clear();
    uncached_.reset();
  }
  [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }

 private:
  using Entry = std::pair<std::string, StmtHandle>;
  std::size_t capacity_;
  std::list<Entry> lru_;
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
  StmtHandle uncached_;
};

}  // namespace libsql::detail
