#include "cli/shell.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <vector>

#include "cli/line_editor.hpp"
#include "cli/sql_text.hpp"

namespace libsql::cli {
namespace {

std::vector<std::string> split_args(std::string_view line) {
  std::vector<std::string> args;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    std::string arg;
    if (line[i] == '"' || line[i] == '\'') {
      const char q = line[i++];
      while (i < line.size() && line[i] != q) arg.push_back(line[i++]);
      if (i < line.size()) ++i;
    } else {
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) {
        arg.push_back(line[i++]);
      }
    }
    args.push_back(std::move(arg));
  }
  return args;
}

std::string quote_literal(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  return out + "'";
}

constexpr const char* kHelp =
    ".help                 this text\n"
    ".tables [PATTERN]     tables and views (LIKE pattern)\n"
    ".schema [PATTERN]     CREATE statements (of tables whose name is LIKE pattern)\n"
    ".mode [table|csv|json] how results are printed (no argument: the current mode)\n"
    ".quit, .exit          leave (an open transaction is rolled back)\n"
    "SQL statements end with \";\" and may span lines. BEGIN ... COMMIT works as usual.\n"
    "Keys: arrows, Home/End, Ctrl-A/E/B/F/K/U/W, Alt-B/F, Up/Down for history, Ctrl-C clears\n"
    "the statement being typed, Ctrl-D on an empty line quits.\n";

}  // namespace

Shell::Shell(Client client, Options options, std::ostream& out, std::ostream& err)
    : client_(std::move(client)), options_(std::move(options)), out_(out), err_(err) {}

Shell::~Shell() = default;

std::string Shell::prompt() const {
  if (!buffer_.empty()) return "   ...> ";
  return tx_ ? "libsql*> " : "libsql> ";
}

void Shell::report(const std::string& message, int line_no) {
  if (options_.interactive) {
    err_ << "Error: " << message << "\n";
  } else {
    err_ << "Error: " << options_.source_name << ":" << line_no << ": " << message << "\n";
  }
  err_.flush();
}

void Shell::print(const ResultSet& rs) {
  out_ << format_result(rs, options_.mode);
  out_.flush();
}

ResultSet Shell::query(const std::string& sql) {
  if (tx_) return tx_->execute(sql);
  auto results = client_.execute_sequence({Statement(sql)});
  return results.empty() ? ResultSet{} : std::move(results.front());
}

bool Shell::run(const PendingStatement& stmt) {
  if (!tx_) savepoint_tx_.clear();
  const auto words = leading_words(stmt.sql, 3);
  const std::string first = words.empty() ? std::string() : words[0];
  const bool to_savepoint = std::find(words.begin(), words.end(), "TO") != words.end();
  try {
    if (first == "BEGIN") {
      if (tx_) {
        report("cannot start a transaction within a transaction", stmt.line);
        return false;
      }
      const bool write = words.size() > 1 && (words[1] == "IMMEDIATE" || words[1] == "EXCLUSIVE");
      tx_.emplace(client_.transaction(write ? TransactionMode::Write : TransactionMode::Deferred));
      return true;
    }
    if (first == "COMMIT" || first == "END") {
      if (!tx_) {
        report("cannot commit - no transaction is active", stmt.line);
        return false;
      }
      try {
        tx_->commit();
      } catch (...) {
        if (!tx_->active()) tx_.reset();
        throw;
      }
      tx_.reset();
      savepoint_tx_.clear();
      return true;
    }
    if (first == "ROLLBACK" && !to_savepoint) {
      if (!tx_) {
        report("cannot rollback - no transaction is active", stmt.line);
        return false;
      }
      tx_->rollback();
      tx_.reset();
      savepoint_tx_.clear();
      return true;
    }
    if (first == "SAVEPOINT" && !tx_) {
      // SQLite's SAVEPOINT outside a transaction opens one, and RELEASE of that savepoint
      // commits it: here the savepoint nests in our transaction, so commit on its RELEASE.
      tx_.emplace(client_.transaction(TransactionMode::Deferred));
      savepoint_tx_ = words.size() > 1 ? words[1] : std::string();
    }
    ResultSet rs = query(stmt.sql);
    if (tx_ && first == "RELEASE" && !savepoint_tx_.empty()) {
      const std::string name = words.size() > 1 && words[1] == "SAVEPOINT" && words.size() > 2
                                   ? words[2]
                                   : (words.size() > 1 ? words[1] : std::string());
      if (name == savepoint_tx_) tx_->commit();
    }
    if (tx_ && !tx_->active()) tx_.reset();
    if (!tx_) savepoint_tx_.clear();
    print(rs);
    return true;
  } catch (const Error& e) {
    std::string message = e.what();
    if (tx_ && !tx_->active()) {
      tx_.reset();
      message += " (the transaction was rolled back)";
    }
    report(message, stmt.line);
    return false;
  }
}

bool Shell::dot_command(std::string_view line, int line_no) {
  const auto args = split_args(line);
  const std::string& cmd = args.at(0);
  try {
    if (cmd == ".quit" || cmd == ".exit" || cmd == ".q") {
      if (args.size() > 1) exit_code_ = std::atoi(args[1].c_str());
      return false;
    }
    if (cmd == ".help") {
      out_ << kHelp;
      return true;
    }
    if (cmd == ".mode") {
      if (args.size() == 1) {
        out_ << "current output mode: " << to_string(options_.mode) << "\n";
        return true;
      }
      const auto mode = parse_output_mode(args[1]);
      if (!mode) {
        report("unknown mode \"" + args[1] + "\": use table, csv or json", line_no);
        if (options_.interactive) return true;
        exit_code_ = 1;
        return false;
      }
      options_.mode = *mode;
      return true;
    }
    if (cmd == ".tables") {
      std::string sql =
          "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE "
          "'sqlite\\_%' ESCAPE '\\'";
      if (args.size() > 1) sql += " AND name LIKE " + quote_literal(args[1]);
      sql += " ORDER BY name";
      const ResultSet rs = query(sql);
      std::vector<std::string> names;
      std::size_t width = 0;
      for (const auto& row : rs.rows) {
        names.push_back(display_text(row.at(0)));
        width = std::max(width, display_width(names.back()));
      }
      const std::size_t per_line = std::max<std::size_t>(1, 80 / (width + 2));
      for (std::size_t i = 0; i < names.size(); ++i) {
        const bool last_in_line = (i + 1) % per_line == 0 || i + 1 == names.size();
        out_ << names[i];
        if (!last_in_line) out_ << std::string(width + 2 - display_width(names[i]), ' ');
        if (last_in_line) out_ << "\n";
      }
      out_.flush();
      return true;
    }
    if (cmd == ".schema") {
      std::string sql =
          "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' "
          "ESCAPE '\\'";
      if (args.size() > 1) {
        sql += " AND (name LIKE " + quote_literal(args[1]) + " OR tbl_name LIKE " +
               quote_literal(args[1]) + ")";
      }
      sql += " ORDER BY tbl_name, CASE type WHEN 'table' THEN 0 WHEN 'view' THEN 1 WHEN 'index' "
             "THEN 2 ELSE 3 END, name";
      const ResultSet rs = query(sql);
      for (const auto& row : rs.rows) out_ << display_text(row.at(0)) << ";\n";
      out_.flush();
      return true;
    }
  } catch (const Error& e) {
    report(e.what(), line_no);
    if (!options_.interactive) exit_code_ = 1;
    return options_.interactive;
  }
  report("unknown command " + cmd + " (try .help)", line_no);
  if (!options_.interactive) {
    exit_code_ = 1;
    return false;
  }
  return true;
}

Shell::Flow Shell::feed_line(std::string_view line, int line_no) {
  if (buffer_.empty()) {
    std::string_view t = line;
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
    if (!t.empty() && t.front() == '.') {
      buffer_.clear();
      return dot_command(t, line_no) ? Flow::Continue : Flow::Stop;
    }
  }
  for (const PendingStatement& stmt : buffer_.add_line(line, line_no)) {
    if (!run(stmt) && !options_.interactive) {
      exit_code_ = 1;
      buffer_.clear();
      return Flow::Stop;
    }
  }
  return Flow::Continue;
}

Shell::Flow Shell::finish() {
  Flow flow = Flow::Continue;
  if (!options_.interactive) {
    if (auto last = buffer_.finish()) {
      if (!run(*last)) {
        exit_code_ = 1;
        flow = Flow::Stop;
      }
    }
  }
  buffer_.clear();
  if (tx_) {
    try {
      tx_->rollback();
    } catch (...) {
    }
    tx_.reset();
    if (options_.interactive) {
      err_ << "The open transaction was rolled back.\n";
    } else if (exit_code_ == 0) {
      err_ << "Error: " << options_.source_name
           << ": the input ended inside a transaction (BEGIN without COMMIT): it was rolled "
              "back.\n";
      exit_code_ = 1;
    }
  }
  return flow;
}

int run_shell_stream(Shell& shell, std::istream& in) {
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (shell.feed_line(line, line_no) == Shell::Flow::Stop) {
      shell.finish();
      return shell.exit_code();
    }
  }
  shell.finish();
  return shell.exit_code();
}

int run_shell_terminal(Shell& shell, const std::string& banner) {
  History history;
  if (auto path = History::default_path()) history.attach_file(*path);
  std::cout << banner << std::flush;
  const char* term = std::getenv("TERM");
  const bool can_edit = ::isatty(STDOUT_FILENO) && !(term && std::string_view(term) == "dumb");
  LineEditor editor(STDIN_FILENO, STDOUT_FILENO, &history);
  int line_no = 0;
  for (;;) {
    std::string line;
    if (can_edit) {
      const LineEditor::Result r = editor.read_line(shell.prompt(), line);
      if (r == LineEditor::Result::EndOfFile) break;
      if (r == LineEditor::Result::Interrupted) {
        shell.cancel_input();
        continue;
      }
    } else {
      std::cout << shell.prompt() << std::flush;
      if (!std::getline(std::cin, line)) {
        std::cout << "\n";
        break;
      }
    }
    history.add(line);
    if (shell.feed_line(line, ++line_no) == Shell::Flow::Stop) break;
  }
  shell.finish();
  return shell.exit_code();
}

}  // namespace libsql::cli
