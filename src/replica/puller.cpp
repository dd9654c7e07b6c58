#include "replica/puller.hpp"

#include <map>
#include <utility>

#include "core/error_codes.hpp"

namespace libsql::detail {

void require_remote_sync_url(const ParsedUrl& sync_url) {
  if (sync_url.scheme == Scheme::File || sync_url.memory) {
    throw make_error(ErrorKind::Misuse, "URL_SCHEME_NOT_SUPPORTED",
                     "the sync URL must be a remote URL (libsql:, https: or http:)");
  }
}

std::string sync_base_url(const ParsedUrl& sync_url) {
  require_remote_sync_url(sync_url);
  std::string base = sync_url.tls ? "https://" : "http://";
  base += sync_url.host;
  if (sync_url.port) base += ":" + std::to_string(*sync_url.port);
  std::string path = sync_url.path;
  while (!path.empty() && path.back() == '/') path.pop_back();
  return base + path;
}

void merge_unit(PullResult& into, PullResult&& unit) {
  if (unit.pages.empty() && unit.frames == 0 && !unit.replace_base) {
    // Nothing changed: only the position may be news.
    if (!unit.server_revision.empty()) into.server_revision = std::move(unit.server_revision);
    if (!unit.log_id.empty()) into.log_id = std::move(unit.log_id);
    return;
  }
  if (unit.replace_base) into.pages.clear();
  if (into.pages.empty()) {
    into.pages = std::move(unit.pages);
  } else {
    std::map<std::uint32_t, std::vector<std::byte>> pages;
    for (auto& p : into.pages) pages[p.page_no] = std::move(p.data);
    for (auto& p : unit.pages) pages[p.page_no] = std::move(p.data);
    into.pages.clear();
    for (auto& [no, data] : pages) {
      if (no <= unit.db_size_pages) into.pages.push_back(PageImage{no, std::move(data)});
    }
  }
  into.db_size_pages = unit.db_size_pages;
  into.server_revision = std::move(unit.server_revision);
  if (!unit.log_id.empty()) into.log_id = std::move(unit.log_id);
  into.frames += unit.frames;
}

}  // namespace libsql::detail
