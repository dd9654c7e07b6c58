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

#include "core/fast_path.hpp"

namespace libsql {

namespace detail {

CompactSlot::CompactSlot() noexcept = default;
CompactSlot::CompactSlot(const CompactSlot& other)
    : rows_(other.rows_ ? std::make_unique<CompactRows>(*other.rows_) : nullptr) {}
CompactSlot::CompactSlot(CompactSlot&& other) noexcept = default;
CompactSlot& CompactSlot::operator=(const CompactSlot& other) {
  if (this != &other) rows_ = other.rows_ ? std::make_unique<CompactRows>(*other.rows_) : nullptr;
  return *this;
}
CompactSlot& CompactSlot::operator=(CompactSlot&& other) noexcept = default;
CompactSlot::~CompactSlot() = default;

void FastPath::set_compact(ResultSet& rs, CompactRows rows) {
  rs.compact_rows.rows_ = std::make_unique<CompactRows>(std::move(rows));
}

std::optional<CompactRows> FastPath::take_compact(ResultSet& rs) {
  if (!rs.compact_rows.rows_) return std::nullopt;
  std::optional<CompactRows> out(std::move(*rs.compact_rows.rows_));
  rs.compact_rows.rows_.reset();
  return out;
}

}  // namespace detail

std::size_t ResultSet::row_count() const noexcept {
  const detail::CompactRows* c = detail::FastPath::compact(*this);
  return c ? c->row_count : rows.size();
}

namespace detail {

std::vector<Row> to_rows(const CompactRows& c) {
  std::vector<Row> rows;
  rows.reserve(c.row_count);
  std::size_t cell = 0, integer = 0, real = 0, text = 0, blob = 0;
  std::uint32_t text_start = 0, blob_start = 0;
  for (std::size_t r = 0; r < c.row_count; ++r) {
    Row row;
    row.reserve(c.column_count);
    for (std::size_t col = 0; col < c.column_count; ++col) {
      switch (c.tags[cell++]) {
        case CompactRows::kInteger: row.emplace_back(c.integers[integer++]); break;
        case CompactRows::kReal: row.emplace_back(c.reals[real++]); break;
        case CompactRows::kText: {
          const std::uint32_t end = c.text_ends[text++];
          row.emplace_back(c.text.substr(text_start, end - text_start));
          text_start = end;
          break;
        }
        case CompactRows::kBlob: {
          const std::uint32_t end = c.blob_ends[blob++];
          Blob b;
          b.bytes.resize(end - blob_start);
          if (end > blob_start) std::memcpy(b.bytes.data(), c.blobs.data() + blob_start, end - blob_start);
          row.emplace_back(std::move(b));
          blob_start = end;
          break;
        }
        default: row.emplace_back(std::monostate{});
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

CompactRows to_compact(const std::vector<Row>& rows, std::size_t column_count) {
  CompactRows c;
  c.column_count = column_count;
  c.row_count = rows.size();
  for (const Row& row : rows) {
    for (const Value& v : row) {
      c.tags.push_back(static_cast<std::uint8_t>(v.index()));
      switch (v.index()) {
        case 1: c.integers.push_back(std::get<std::int64_t>(v)); break;
        case 2: c.reals.push_back(std::get<double>(v)); break;
        case 3:
          c.text += std::get<std::string>(v);
          c.text_ends.push_back(static_cast<std::uint32_t>(c.text.size()));
          break;
        case 4: {
          const auto& b = std::get<Blob>(v).bytes;
          const auto* p = reinterpret_cast<const std::uint8_t*>(b.data());
          c.blobs.insert(c.blobs.end(), p, p + b.size());
          c.blob_ends.push_back(static_cast<std::uint32_t>(c.blobs.size()));
          break;
        }
        default: break;
      }
    }
  }
  return c;
}

}  // namespace detail
}  // namespace libsql
