#include "row_pack.hpp"

#include <cstring>
#include <limits>
#include <string_view>
#include <variant>

namespace libsql::node {
namespace {

/// Adds the length of `s` in UTF-16 code units to `units` when it is valid UTF-8 (clears
/// `ascii` when it is not plain ASCII); false when it is not valid UTF-8.
bool utf16_units(std::string_view s, std::uint64_t& units, bool& ascii) {
  std::size_t i = 0;
  std::uint64_t n16 = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      ++n16;
      continue;
    }
    std::size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (n == 0 || c > 0xf4 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    unsigned cp = n == 2 ? ((c & 0x1fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3fu)
                 : n == 3 ? ((c & 0x0fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3fu) << 6) |
                                (static_cast<unsigned char>(s[i + 2]) & 0x3fu)
                          : ((c & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3fu) << 12) |
                                ((static_cast<unsigned char>(s[i + 2]) & 0x3fu) << 6) |
                                (static_cast<unsigned char>(s[i + 3]) & 0x3fu);
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
      return false;
    }
    n16 += n == 4 ? 2 : 1;
    ascii = false;
    i += n;
  }
  units += n16;
  return true;
}

/// Appends `s` to `out` when it is valid UTF-8 (see utf16_units).
bool append_text(std::string& out, std::string_view s, std::uint64_t& units, bool& ascii) {
  if (!utf16_units(s, units, ascii)) return false;
  out.append(s);
  return true;
}

template <class T>
void append_raw(std::vector<std::uint8_t>& bytes, const std::vector<T>& v) {
  if (v.empty()) return;
  const std::size_t at = bytes.size();
  bytes.resize(at + v.size() * sizeof(T));
  std::memcpy(bytes.data() + at, v.data(), v.size() * sizeof(T));
}

// V8's longest string (2^29 - 24 UTF-16 units on 64-bit); beyond it, cell by cell.
constexpr std::uint64_t kMaxTextUnits = (1u << 29) - 24;

bool all_ascii(std::string_view s) noexcept {
  unsigned char any = 0;
  for (char c : s) any |= static_cast<unsigned char>(c);
  return any < 0x80;
}

std::optional<RowPack> pack_compact(prisma::PrismaResult& r) {
  detail::CompactRows& c = *r.compact;
  const std::size_t cells = c.row_count * c.column_count;
  if (cells < kPackMinCells || cells > std::numeric_limits<std::uint32_t>::max() ||
      c.column_count != r.column_names.size()) {
    return std::nullopt;
  }
  RowPack p;
  p.ascii = all_ascii(c.text);
  std::vector<std::uint32_t> text_ends;
  if (!p.ascii) {
    // UTF-16 offsets, and valid UTF-8 only (Node-API decides how invalid bytes look).
    text_ends.reserve(c.text_ends.size());
    std::uint64_t units = 0;
    std::uint32_t start = 0;
    for (std::uint32_t end : c.text_ends) {
      bool ascii = true;
      if (!utf16_units(std::string_view(c.text).substr(start, end - start), units, ascii) || units > kMaxTextUnits) {
        return std::nullopt;
      }
      text_ends.push_back(static_cast<std::uint32_t>(units));
      start = end;
    }
  } else if (c.text.size() > kMaxTextUnits) {
    return std::nullopt;
  }
  p.column_names = std::move(r.column_names);
  p.column_types.reserve(r.column_types.size());
  for (auto t : r.column_types) p.column_types.push_back(static_cast<int>(t));
  p.last_insert_id = r.last_insert_id;
  p.rows = static_cast<std::uint32_t>(c.row_count);
  p.columns = static_cast<std::uint32_t>(c.column_count);
  p.num_count = static_cast<std::uint32_t>(c.integers.size() + c.reals.size());
  p.text_count = static_cast<std::uint32_t>(c.text_ends.size());
  p.blob_count = static_cast<std::uint32_t>(c.blob_ends.size());
  p.blob_len = static_cast<std::uint32_t>(c.blobs.size());
  p.bytes.resize(std::size_t{p.num_count} * 8 + (std::size_t{p.text_count} + p.blob_count) * 4 + cells + p.blob_len);
  auto* nums = p.bytes.data();
  auto* text_out = nums + std::size_t{p.num_count} * 8;
  auto* blob_ends_out = text_out + std::size_t{p.text_count} * 4;
  auto* tags = blob_ends_out + std::size_t{p.blob_count} * 4;
  auto* blobs = tags + cells;
  std::size_t integer = 0;
  std::size_t real = 0;
  std::size_t num = 0;
  for (std::size_t k = 0; k < cells; ++k) {
    double d = 0;
    switch (c.tags[k]) {
      case detail::CompactRows::kInteger:
        d = static_cast<double>(c.integers[integer++]);
        std::memcpy(nums + 8 * num++, &d, 8);
        tags[k] = RowPack::kNumber;
        break;
      case detail::CompactRows::kReal:
        d = c.reals[real++];
        std::memcpy(nums + 8 * num++, &d, 8);
        tags[k] = RowPack::kNumber;
        break;
      case detail::CompactRows::kText: tags[k] = RowPack::kText; break;
      case detail::CompactRows::kBlob: tags[k] = RowPack::kBlob; break;
      default: tags[k] = RowPack::kNull;
    }
  }
  const auto& ends = p.ascii ? c.text_ends : text_ends;
  if (!ends.empty()) std::memcpy(text_out, ends.data(), ends.size() * 4);
  if (!c.blob_ends.empty()) std::memcpy(blob_ends_out, c.blob_ends.data(), c.blob_ends.size() * 4);
  if (!c.blobs.empty()) std::memcpy(blobs, c.blobs.data(), c.blobs.size());
  p.text = std::move(c.text);
  return p;
}

}  // namespace

std::optional<RowPack> pack_rows(prisma::PrismaResult& r) {
  if (r.compact) return pack_compact(r);
  const std::size_t columns = r.column_names.size();
  const std::size_t cells = r.rows.size() * columns;
  if (cells < kPackMinCells || cells > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
  RowPack p;
  p.column_names = r.column_names;
  p.column_types.reserve(r.column_types.size());
  for (auto t : r.column_types) p.column_types.push_back(static_cast<int>(t));
  p.last_insert_id = r.last_insert_id;
  p.rows = static_cast<std::uint32_t>(r.rows.size());
  p.columns = static_cast<std::uint32_t>(columns);

  std::vector<double> nums;
  std::vector<std::uint32_t> text_ends;
  std::vector<std::uint32_t> blob_ends;
  std::vector<std::uint8_t> tags(cells);
  std::vector<std::uint8_t> blob;
  nums.reserve(cells);
  p.text.reserve(cells * 8);
  std::uint64_t units = 0;
  std::size_t k = 0;
  for (const auto& row : r.rows) {
    if (row.size() != columns) return std::nullopt;
    for (const Value& v : row) {
      switch (v.index()) {
        case 0: tags[k] = RowPack::kNull; break;
        case 1:
          tags[k] = RowPack::kNumber;
          nums.push_back(static_cast<double>(std::get<std::int64_t>(v)));
          break;
        case 2:
          tags[k] = RowPack::kNumber;
          nums.push_back(std::get<double>(v));
          break;
        case 3:
          tags[k] = RowPack::kText;
          if (!append_text(p.text, std::get<std::string>(v), units, p.ascii) || units > kMaxTextUnits) {
            return std::nullopt;
          }
          text_ends.push_back(static_cast<std::uint32_t>(units));
          break;
        case 4: {
          const auto& b = std::get<Blob>(v).bytes;
          if (blob.size() + b.size() > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
          tags[k] = RowPack::kBlob;
          const std::size_t at = blob.size();
          blob.resize(at + b.size());
          if (!b.empty()) std::memcpy(blob.data() + at, b.data(), b.size());
          blob_ends.push_back(static_cast<std::uint32_t>(blob.size()));
          break;
        }
        default: return std::nullopt;
      }
      ++k;
    }
  }
  p.num_count = static_cast<std::uint32_t>(nums.size());
  p.text_count = static_cast<std::uint32_t>(text_ends.size());
  p.blob_count = static_cast<std::uint32_t>(blob_ends.size());
  p.blob_len = static_cast<std::uint32_t>(blob.size());
  p.bytes.reserve(nums.size() * 8 + (text_ends.size() + blob_ends.size()) * 4 + tags.size() + blob.size());
  append_raw(p.bytes, nums);
  append_raw(p.bytes, text_ends);
  append_raw(p.bytes, blob_ends);
  append_raw(p.bytes, tags);
  append_raw(p.bytes, blob);
  return p;
}

}  // namespace libsql::node
