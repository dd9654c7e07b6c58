#include "cli/result_format.hpp"

#include <algorithm>
#include <vector>

#include "cli/json.hpp"

namespace libsql::cli {
namespace {

std::string escape_controls(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += '?';
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos && !s.empty() && s.front() != ' ' &&
      s.back() != ' ') {
    return std::string(s);
  }
  if (s.empty()) return {};
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

bool is_number(const Value& v) {
  return type_of(v) == ValueType::Integer || type_of(v) == ValueType::Real;
}

}  // namespace

std::optional<OutputMode> parse_output_mode(std::string_view name) {
  if (name == "table" || name == "box") return OutputMode::Table;
  if (name == "csv") return OutputMode::Csv;
  if (name == "json") return OutputMode::Json;
  return std::nullopt;
}

const char* to_string(OutputMode mode) noexcept {
  switch (mode) {
    case OutputMode::Table: return "table";
    case OutputMode::Csv: return "csv";
    case OutputMode::Json: return "json";
  }
  return "table";
}

std::size_t display_width(std::string_view s) noexcept {
  std::size_t width = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence_length(s, i);
    i += len == 0 ? 1 : len;
    ++width;
  }
  return width;
}

std::string display_text(const Value& v) {
  switch (type_of(v)) {
    case ValueType::Null: return "NULL";
    case ValueType::Integer: return std::to_string(std::get<std::int64_t>(v));
    case ValueType::Real: return json_number(std::get<double>(v));
    case ValueType::Text: return std::get<std::string>(v);
    case ValueType::Blob: return blob_literal(std::get<Blob>(v));
  }
  return {};
}

std::string format_result(const ResultSet& rs, OutputMode mode) {
  if (rs.columns.empty()) return {};
  const std::size_t ncol = rs.columns.size();
  std::string out;
  if (mode == OutputMode::Json) {
    if (rs.rows.empty()) return "[]\n";
    out = "[";
    for (std::size_t r = 0; r < rs.rows.size(); ++r) {
      out += r == 0 ? "{" : ",\n{";
      for (std::size_t c = 0; c < ncol; ++c) {
        if (c) out += ",";
        out += json_quote(rs.columns[c].name) + ":" +
               json_value(c < rs.rows[r].size() ? rs.rows[r][c] : Value());
      }
      out += "}";
    }
    out += "]\n";
    return out;
  }
  if (rs.rows.empty()) return {};
  if (mode == OutputMode::Csv) {
    for (std::size_t c = 0; c < ncol; ++c) out += (c ? "," : "") + csv_field(rs.columns[c].name);
    out += "\n";
    for (const Row& row : rs.rows) {
      for (std::size_t c = 0; c < ncol; ++c) {
        const Value v = c < row.size() ? row[c] : Value();
        out += (c ? "," : "") + (is_null(v) ? std::string() : csv_field(display_text(v)));
      }
      out += "\n";
    }
    return out;
  }
  // Table.
  std::vector<std::vector<std::string>> cells(rs.rows.size(), std::vector<std::string>(ncol));
  std::vector<std::size_t> width(ncol, 0);
  for (std::size_t c = 0; c < ncol; ++c) width[c] = display_width(escape_controls(rs.columns[c].name));
  for (std::size_t r = 0; r < rs.rows.size(); ++r) {
    for (std::size_t c = 0; c < ncol; ++c) {
      cells[r][c] = escape_controls(display_text(c < rs.rows[r].size() ? rs.rows[r][c] : Value()));
      width[c] = std::max(width[c], display_width(cells[r][c]));
    }
  }
  std::string rule = "+";
  for (std::size_t c = 0; c < ncol; ++c) rule += std::string(width[c] + 2, '-') + "+";
  rule += "\n";
  auto line = [&](const std::vector<std::string>& v, const Row* row) {
    std::string s = "|";
    for (std::size_t c = 0; c < ncol; ++c) {
      const std::size_t pad = width[c] - display_width(v[c]);
      const bool right = row != nullptr && c < row->size() && is_number((*row)[c]);
      s += " " + (right ? std::string(pad, ' ') + v[c] : v[c] + std::string(pad, ' ')) + " |";
    }
    return s + "\n";
  };
  std::vector<std::string> header(ncol);
  for (std::size_t c = 0; c < ncol; ++c) header[c] = escape_controls(rs.columns[c].name);
  out += rule + line(header, nullptr) + rule;
  for (std::size_t r = 0; r < rs.rows.size(); ++r) out += line(cells[r], &rs.rows[r]);
  out += rule;
  return out;
}

}  // namespace libsql::cli
