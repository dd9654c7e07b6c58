#include "replica/puller.hpp"

#include <map>
#include <utility>

namespace libsql::detail {

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
