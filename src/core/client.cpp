#include "libsql/client.hpp"

#include <utility>

#include "core/callback.hpp"
#include "core/engine.hpp"
#include "core/fast_path.hpp"

namespace libsql {
namespace {

using detail::wait_for;

const std::shared_ptr<detail::Engine>& require(const std::shared_ptr<detail::Engine>& engine) {
  if (!engine) throw detail::client_closed_error();
  return engine;
}

}  // namespace

Client::Client(std::shared_ptr<detail::Engine> engine) : engine_(std::move(engine)) {}

ResultSet Client::execute(const Statement& stmt) {
  return wait_for<ResultSet>([&](Callback<ResultSet> cb) { execute_async(stmt, std::move(cb)); });
}

std::vector<ResultSet> Client::batch(const std::vector<Statement>& stmts, TransactionMode mode) {
  return wait_for<std::vector<ResultSet>>(
      [&](Callback<std::vector<ResultSet>> cb) { batch_async(stmts, mode, std::move(cb)); });
}

Transaction Client::transaction(TransactionMode mode) { return transaction(mode, TransactionOptions{}); }

Transaction Client::transaction(TransactionMode mode, TransactionOptions options) {
  auto txn = wait_for<std::shared_ptr<Transaction>>([&](Callback<std::shared_ptr<Transaction>> cb) {
    transaction_async(mode, options, std::move(cb));
  });
  return std::move(*txn);
}

void Client::execute_script(std::string_view sql) {
  wait_for<Done>([&](Callback<Done> cb) { execute_script_async(std::string(sql), std::move(cb)); });
}

std::vector<ResultSet> Client::execute_sequence(const std::vector<Statement>& stmts) {
  return wait_for<std::vector<ResultSet>>(
      [&](Callback<std::vector<ResultSet>> cb) { execute_sequence_async(stmts, std::move(cb)); });
}

void Client::execute_sequence_async(std::vector<Statement> stmts,
                                    Callback<std::vector<ResultSet>> done) {
  require(engine_)->sequence(std::move(stmts), std::move(done));
}

SyncResult Client::sync() {
  return wait_for<SyncResult>([&](Callback<SyncResult> cb) { sync_async(std::move(cb)); });
}

void Client::sync_async(Callback<SyncResult> done) { require(engine_)->sync(std::move(done)); }

void Client::close() {
  if (engine_) engine_->close();
}

bool Client::closed() const noexcept { return !engine_ || engine_->closed(); }

void Client::execute_async(Statement stmt, Callback<ResultSet> done) {
  require(engine_)->execute(std::move(stmt), std::move(done));
}

void Client::batch_async(std::vector<Statement> stmts, TransactionMode mode,
                         Callback<std::vector<ResultSet>> done) {
  require(engine_)->batch(std::move(stmts), mode, std::move(done));
}

void Client::transaction_async(TransactionMode mode, Callback<std::shared_ptr<Transaction>> done) {
  transaction_async(mode, TransactionOptions{}, std::move(done));
}

void Client::transaction_async(TransactionMode mode, TransactionOptions options,
                               Callback<std::shared_ptr<Transaction>> done) {
  require(engine_)->begin(
      mode, options, [done = std::move(done)](Outcome<std::shared_ptr<detail::TxnSession>> outcome) {
        if (auto* e = std::get_if<Error>(&outcome)) return done(*e);
        done(std::shared_ptr<Transaction>(
            new Transaction(std::move(std::get<std::shared_ptr<detail::TxnSession>>(outcome)))));
      });
}

void Client::execute_script_async(std::string sql, Callback<Done> done) {
  require(engine_)->execute_script(std::move(sql), std::move(done));
}

bool detail::FastPath::try_execute_inline(Client& client, const Statement& stmt, ResultSet& out) {
  return client.engine_ && client.engine_->try_execute_inline(stmt, out);
}

Client detail::FastPath::client(std::shared_ptr<Engine> engine) { return Client(std::move(engine)); }

int Client::max_bind_values() const noexcept { return engine_ ? engine_->max_bind_values() : 0; }

// --- Transaction ---

Transaction::Transaction(std::shared_ptr<detail::TxnSession> session)
    : session_(std::move(session)) {}
Transaction::Transaction(Transaction&&) noexcept = default;

Transaction& Transaction::operator=(Transaction&& other) noexcept {
  if (this != &other) {
    if (session_ && session_->active()) session_->rollback([](Outcome<Done>) {});
    session_ = std::move(other.session_);
  }
  return *this;
}

Transaction::~Transaction() {
  // Dropped without commit: roll back. Queued behind earlier calls, so it runs after them.
  if (session_ && session_->active()) session_->rollback([](Outcome<Done>) {});
}

namespace {
detail::TxnSession& session_of(const std::shared_ptr<detail::TxnSession>& s) {
  if (!s) throw detail::transaction_closed_error();
  return *s;
}
}  // namespace

ResultSet Transaction::execute(const Statement& stmt) {
  return wait_for<ResultSet>([&](Callback<ResultSet> cb) { execute_async(stmt, std::move(cb)); });
}

bool detail::FastPath::try_execute_inline(Transaction& txn, const Statement& stmt, ResultSet& out) {
  return txn.session_ && txn.session_->try_execute_inline(stmt, out);
}

bool detail::FastPath::try_finish_inline(Transaction& txn, bool commit, Outcome<Done>& out) {
  return txn.session_ && txn.session_->try_finish_inline(commit, out);
}

std::vector<ResultSet> Transaction::execute_sequence(const std::vector<Statement>& stmts) {
  return wait_for<std::vector<ResultSet>>(
      [&](Callback<std::vector<ResultSet>> cb) { execute_sequence_async(stmts, std::move(cb)); });
}

void Transaction::execute_sequence_async(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) {
  session_of(session_).sequence(std::move(stmts), std::move(done));
}

void Transaction::execute_script(std::string_view sql) {
  auto& s = session_of(session_);
  wait_for<Done>([&](Callback<Done> cb) { s.execute_script(std::string(sql), std::move(cb)); });
}

void Transaction::commit() {
  wait_for<Done>([&](Callback<Done> cb) { commit_async(std::move(cb)); });
}

void Transaction::rollback() {
  wait_for<Done>([&](Callback<Done> cb) { rollback_async(std::move(cb)); });
}

bool Transaction::active() const noexcept { return session_ && session_->active(); }

void Transaction::execute_async(Statement stmt, Callback<ResultSet> done) {
  session_of(session_).execute(std::move(stmt), std::move(done));
}

void Transaction::commit_async(Callback<Done> done) {
  session_of(session_).commit(std::move(done));
}

void Transaction::rollback_async(Callback<Done> done) {
  session_of(session_).rollback(std::move(done));
}

}  // namespace libsql
