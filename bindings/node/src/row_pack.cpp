#include "row_pack.hpp"

#include <cstring>
#include <limits>
#include <string_view>
#include <variant>

namespace libsql::node {
namespace {

/// Appends `s` to `out` when it is valid UTF-8 and adds its length in UTF-16 code units to
/// `units`; false (out unspecified) when it is not valid UTF-8.
bool append_text(std::string& out, std::string_view s, std::uint64_t& units, bool& ascii) {
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
  out.append(s);
  units += n16;
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

}  // namespace

std::optional<RowPack> pack_rows(const prisma::PrismaResult& r) {
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
