// Vector search on the local engine through the C++ API: the functions' encodings, printing
// and errors, vector indexes kept in step by inserts, updates and deletes, vector_top_k
// against exact search, and files whose vector index libSQL built (refused writes). The same
// statements against the official client: tests/node/vector.test.mjs. Design: docs/vector.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "libsql/client.hpp"
#include "local/vector/vector_codec.hpp"
#include "support/expect_error.hpp"
#include "support/temp_db.hpp"

using libsql::Client;
using libsql::Value;
using libsql::test::expect_error;
using libsql::test::TempDb;
namespace vec = libsql::detail::vec;

namespace {

std::string hex_of(const Value& v) {
  const auto& b = std::get<libsql::Blob>(v).bytes;
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::byte x : b) {
    out.push_back(digits[std::to_integer<int>(x) >> 4]);
    out.push_back(digits[std::to_integer<int>(x) & 15]);
  }
  return out;
}

Value one(Client& db, const libsql::Statement& s) { return db.execute(s).rows.at(0).at(0); }

std::vector<std::int64_t> ids(Client& db, const libsql::Statement& s) {
  std::vector<std::int64_t> out;
  for (const auto& row : db.execute(s).rows) out.push_back(std::get<std::int64_t>(row.at(0)));
  return out;
}

std::string random_vector(std::mt19937& rng, int dims) {
  std::uniform_real_distribution<float> d(-1, 1);
  std::ostringstream s;
  s << '[';
  for (int i = 0; i < dims; ++i) s << (i ? "," : "") << d(rng);
  s << ']';
  return s.str();
}

}  // namespace

TEST(VectorFunctions, EncodingsMatchLibsql) {
  auto db = Client::open({.url = ":memory:"});
  EXPECT_EQ(hex_of(one(db, "SELECT vector32('[1,2,3]')")), "0000803f0000004000004040");
  EXPECT_EQ(hex_of(one(db, "SELECT vector('[1,2,3]')")), "0000803f0000004000004040");
  EXPECT_EQ(hex_of(one(db, "SELECT vector64('[1,2,3]')")), "000000000000f03f0000000000000040000000000000084002");
  EXPECT_EQ(hex_of(one(db, "SELECT vector16('[1,2,3]')")), "003c0040004205");
  EXPECT_EQ(hex_of(one(db, "SELECT vectorb16('[1,2,3]')")), "803f0040404006");
  EXPECT_EQ(hex_of(one(db, "SELECT vector8('[1,2,3]')")), "007fff008180003c0000803f000104");
  EXPECT_EQ(hex_of(one(db, "SELECT vector1bit('[1,-2,3,0]')")), "050c03");
  EXPECT_EQ(hex_of(one(db, "SELECT vector1bit('[1,1,1,1,1,1,1,1,1]')")), "ff01001703");
  EXPECT_EQ(hex_of(one(db, "SELECT vector('[]')")), "");
  EXPECT_EQ(hex_of(one(db, "SELECT vector64('[]')")), "02");
  EXPECT_EQ(hex_of(one(db, "SELECT vector8('[]')")), "0000000000000000000004");
  EXPECT_EQ(hex_of(one(db, "SELECT vector1bit('[]')")), "001003");
  EXPECT_EQ(hex_of(one(db, "SELECT vector('[1e39]')")), "0000807f");
}

TEST(VectorFunctions, PrintsLikeLibsql) {
  auto db = Client::open({.url = ":memory:"});
  auto text = [&](const char* sql) { return std::get<std::string>(one(db, sql)); };
  EXPECT_EQ(text("SELECT vector_extract(vector('[1e10,1.996083,0.1,-0,1e-7,123456789]'))"),
            "[1e+10,1.99608,0.1,0,1e-07,1.23457e+08]");
  EXPECT_EQ(text("SELECT vector_extract(vector16('[1e10,1.996083,65504,70000]'))"), "[Inf,1.99609,65504,Inf]");
  EXPECT_EQ(text("SELECT vector_extract(vector8('[1,2,3,4.5,-1]'))"), "[1.00588,1.99804,2.9902,4.5,-1]");
  EXPECT_EQ(text("SELECT vector_extract(vector1bit('[1,-2,3,0,5]'))"), "[1,-1,1,-1,1]");
  EXPECT_EQ(text("SELECT vector_extract(x'0000c07f')"), "[NaN]");
  EXPECT_EQ(text("SELECT vector_extract(x'')"), "[]");
}

TEST(VectorFunctions, DistancesAndTheirErrors) {
  auto db = Client::open({.url = ":memory:"});
  EXPECT_EQ(std::get<double>(one(db, "SELECT vector_distance_cos('[1,2]','[2,4]')")), 0.0);
  EXPECT_DOUBLE_EQ(std::get<double>(one(db, "SELECT vector_distance_l2('[1,2]','[2,4]')")),
                   static_cast<double>(static_cast<float>(std::sqrt(5.0))));
  EXPECT_DOUBLE_EQ(std::get<double>(one(db, "SELECT vector_distance_cos(vector1bit('[1,2,-3]'),vector1bit('[3,-4,7]'))")), 2.0);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(one(db, "SELECT vector_distance_cos('[0,0]','[2,4]')")));
  auto message = [&](const char* sql) { return std::string(expect_error([&] { db.execute(sql); }).what()); };
  EXPECT_EQ(message("SELECT vector_distance_cos('[1,2]','[1,2,3]')"),
            "SQLITE_ERROR: vector_distance: vectors must have the same length: 2 != 3");
  EXPECT_EQ(message("SELECT vector_distance_cos(vector64('[1,2]'),'[1,2]')"),
            "SQLITE_ERROR: vector_distance: vectors must have the same type: 2 != 1");
  EXPECT_EQ(message("SELECT vector_distance_l2(vector1bit('[1]'),vector1bit('[1]'))"),
            "SQLITE_ERROR: vector_distance: l2 distance is not supported for float1bit vectors");
  EXPECT_EQ(message("SELECT vector('[nan]')"), "SQLITE_ERROR: vector: invalid float at position 0: 'nan'");
  EXPECT_EQ(message("SELECT vector('[1,2]x')"), "SQLITE_ERROR: vector: non-space symbols after closing ']' are forbidden");
  EXPECT_EQ(message("SELECT vector(1)"), "SQLITE_ERROR: vector: unexpected value type: got INTEGER, expected TEXT or BLOB");
  EXPECT_EQ(message("SELECT vector(x'00')"), "SQLITE_ERROR: vector: unexpected binary type: 0");
  EXPECT_EQ(message("SELECT vector(zeroblob(4*65537))"), "SQLITE_ERROR: vector: max size exceeded: 65537 > 65536");
}

TEST(VectorCodec, HalfFloatsRoundTripEveryValue) {
  // Every f16 bit pattern that is not a NaN survives f16 -> f32 -> f16 through SQL.
  vec::Vector v;
  v.type = vec::Type::F16;
  for (std::uint32_t h = 0; h <= 0xffff; ++h) {
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0) continue;
    v.u16.push_back(static_cast<std::uint16_t>(h));
  }
  v.dims = static_cast<int>(v.u16.size());
  const vec::Vector back = vec::convert(vec::convert(v, vec::Type::F32), vec::Type::F16);
  EXPECT_EQ(back.u16, v.u16);
}

TEST(VectorCodec, SerializeAndParseAgreeForEveryType) {
  std::mt19937 rng(3);
  for (auto type : {vec::Type::F32, vec::Type::F64, vec::Type::F16, vec::Type::FB16, vec::Type::F8, vec::Type::F1Bit}) {
    for (int dims : {0, 1, 2, 3, 7, 8, 9, 16, 33}) {
      vec::Vector f32;
      std::string error;
      ASSERT_TRUE(vec::parse_text(random_vector(rng, dims).c_str(), vec::Type::F32, f32, error)) << error;
      const vec::Vector v = vec::convert(f32, type);
      const auto blob = vec::serialize(v);
      vec::Vector parsed;
      ASSERT_TRUE(vec::parse_blob(blob.data(), blob.size(), parsed, error)) << error;
      EXPECT_EQ(parsed.type, type);
      EXPECT_EQ(parsed.dims, dims);
      EXPECT_EQ(vec::serialize(parsed), blob);
    }
  }
}

TEST(VectorCodec, ColumnTypes) {
  vec::Type t{};
  int dims = 0;
  EXPECT_TRUE(vec::column_type("F32_BLOB(3)", t, dims));
  EXPECT_EQ(t, vec::Type::F32);
  EXPECT_EQ(dims, 3);
  EXPECT_TRUE(vec::column_type("float64( 768 )", t, dims));
  EXPECT_EQ(t, vec::Type::F64);
  EXPECT_EQ(dims, 768);
  EXPECT_TRUE(vec::column_type("F1BIT_BLOB(8)", t, dims));
  EXPECT_EQ(t, vec::Type::F1Bit);
  EXPECT_FALSE(vec::column_type("TEXT", t, dims));
  EXPECT_FALSE(vec::column_type("F32_BLOB", t, dims));
  EXPECT_FALSE(vec::column_type("F32_BLOB(0)", t, dims));
  EXPECT_FALSE(vec::column_type(nullptr, t, dims));
}

class VectorIndex : public ::testing::TestWithParam<bool> {
 protected:
  TempDb temp_;
  Client open() { return Client::open({.url = GetParam() ? temp_.url() : std::string(":memory:")}); }
};

TEST_P(VectorIndex, TopKEqualsExactSearchAndFollowsWrites) {
  auto db = open();
  db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, emb F32_BLOB(8))");
  db.execute("CREATE INDEX items_cos ON items (libsql_vector_idx(emb, 'metric=cosine'))");
  db.execute("CREATE INDEX items_l2 ON items (libsql_vector_idx(emb, 'metric=l2'))");
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) db.execute({"INSERT INTO items (emb) VALUES (vector32(?))", {Value(random_vector(rng, 8))}});
  auto check = [&] {
    for (int q = 0; q < 5; ++q) {
      const std::string query = random_vector(rng, 8);
      EXPECT_EQ(ids(db, {"SELECT id FROM vector_top_k('items_cos', vector32(?1), 10)", {Value(query)}}),
                ids(db, {"SELECT id FROM items WHERE emb IS NOT NULL ORDER BY vector_distance_cos(emb, vector32(?1)), id LIMIT 10",
                         {Value(query)}}));
      EXPECT_EQ(ids(db, {"SELECT i.id FROM vector_top_k('items_l2', vector32(?1), 7) AS v JOIN items AS i ON i.rowid = v.id",
                         {Value(query)}}),
                ids(db, {"SELECT id FROM items WHERE emb IS NOT NULL ORDER BY vector_distance_l2(emb, vector32(?1)), id LIMIT 7",
                         {Value(query)}}));
    }
  };
  check();
  db.execute("DELETE FROM items WHERE id % 3 = 0");
  for (int i = 1; i < 300; i += 7) {
    db.execute({"UPDATE items SET emb = vector32(?) WHERE id = ?", {Value(random_vector(rng, 8)), Value(std::int64_t{i})}});
  }
  db.execute("UPDATE items SET emb = NULL WHERE id % 5 = 0");
  check();
  EXPECT_EQ(ids(db, "SELECT count(*) FROM vector_top_k('items_cos', vector32('[1,1,1,1,1,1,1,1]'), 1000)").at(0),
            ids(db, "SELECT count(*) FROM items WHERE emb IS NOT NULL").at(0));
  EXPECT_TRUE(ids(db, "SELECT id FROM vector_top_k('items_cos', vector32('[1,1,1,1,1,1,1,1]'), 0)").empty());
  EXPECT_EQ(std::get<std::string>(one(db, "PRAGMA integrity_check")), "ok");
  db.close();
}

TEST_P(VectorIndex, PrunedSearchEqualsExactOnHardData) {
  // vector_top_k scores rows on an int8 copy first and scores exactly only those that can be in
  // the top k (docs/vector.md): on clustered data with exact and near duplicates (ties broken by
  // rowid), zero vectors, a dimension count that is not a multiple of 16, and outliers huge or
  // tiny enough to leave float's range in the norms, its result must be the exact search's.
  auto db = open();
  std::mt19937 rng(7);
  std::normal_distribution<float> gauss(0, 1);
  auto text = [](const std::vector<float>& v) {
    std::ostringstream s;
    s.precision(9);
    s << '[';
    for (std::size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
    s << ']';
    return s.str();
  };
  for (int dims : {64, 37}) {
    for (bool outliers : {false, true}) {
      db.execute("DROP TABLE IF EXISTS h");
      db.execute("CREATE TABLE h (id INTEGER PRIMARY KEY, emb F32_BLOB(" + std::to_string(dims) + "))");
      db.execute("CREATE INDEX h_cos ON h (libsql_vector_idx(emb, 'metric=cosine'))");
      db.execute("CREATE INDEX h_l2 ON h (libsql_vector_idx(emb, 'metric=l2'))");
      std::vector<std::vector<float>> centres(8, std::vector<float>(static_cast<std::size_t>(dims)));
      for (auto& c : centres) {
        for (auto& x : c) x = gauss(rng);
      }
      std::vector<std::string> rows;
      for (int i = 0; i < 1500; ++i) {
        std::vector<float> v = centres[static_cast<std::size_t>(i) % centres.size()];
        for (auto& x : v) x += 0.3F * gauss(rng);
        v[3] = 0;  // one dimension all zeros
        if (i % 50 == 7 && !rows.empty()) {
          rows.push_back(rows[static_cast<std::size_t>(i) / 2]);  // an exact duplicate: a tie
          continue;
        }
        if (i % 50 == 8) {
          v = centres[0];  // near duplicates of a centre, and of one another
          v[0] += 1e-6F * static_cast<float>(i % 3);
          v[3] = 0;
        }
        if (i % 97 == 5) std::fill(v.begin(), v.end(), 0.0F);
        if (outliers && i % 211 == 3) {
          for (auto& x : v) x *= 1e19F;  // its sum of squares overflows float
        }
        if (outliers && i % 223 == 4) {
          for (auto& x : v) x *= 1e-21F;  // its squares underflow
        }
        rows.push_back(text(v));
      }
      {
        auto tx = db.transaction(libsql::TransactionMode::Write);
        for (const auto& r : rows) tx.execute({"INSERT INTO h (emb) VALUES (vector32(?))", {Value(r)}});
        tx.commit();
      }
      std::vector<std::string> queries = {rows[10], rows[58], rows[7 * 2], text(centres[0]), text(centres[3])};
      for (int q = 0; q < 4; ++q) {
        std::vector<float> v = centres[static_cast<std::size_t>(q)];
        for (auto& x : v) x += 0.5F * gauss(rng);
        queries.push_back(text(v));
      }
      queries.push_back(text(std::vector<float>(static_cast<std::size_t>(dims), 0.0F)));
      for (const auto& query : queries) {
        for (int k : {1, 10, 57}) {
          const std::string ks = std::to_string(k);
          EXPECT_EQ(ids(db, {"SELECT id FROM vector_top_k('h_cos', vector32(?1), " + ks + ")", {Value(query)}}),
                    ids(db, {"SELECT id FROM h ORDER BY vector_distance_cos(emb, vector32(?1)) IS NULL, "
                             "vector_distance_cos(emb, vector32(?1)), id LIMIT " + ks,
                             {Value(query)}}))
              << "cosine, dims " << dims << ", outliers " << outliers << ", k " << k << ", query " << query.substr(0, 40);
          EXPECT_EQ(ids(db, {"SELECT id FROM vector_top_k('h_l2', vector32(?1), " + ks + ")", {Value(query)}}),
                    ids(db, {"SELECT id FROM h ORDER BY vector_distance_l2(emb, vector32(?1)) IS NULL, "
                             "vector_distance_l2(emb, vector32(?1)), id LIMIT " + ks,
                             {Value(query)}}))
              << "l2, dims " << dims << ", outliers " << outliers << ", k " << k << ", query " << query.substr(0, 40);
        }
      }
    }
  }
  db.close();
}

TEST_P(VectorIndex, InsertsAreCheckedLikeLibsql) {
  auto db = open();
  db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, emb F32_BLOB(3))");
  db.execute("CREATE INDEX t_emb ON t (libsql_vector_idx(emb))");
  auto message = [&](const char* sql) { return std::string(expect_error([&] { db.execute(sql); }).what()); };
  EXPECT_EQ(message("INSERT INTO t (emb) VALUES (vector('[1,2,3,4]'))"),
            "SQLITE_ERROR: vector index(insert): dimensions are different: 4 != 3");
  EXPECT_EQ(message("INSERT INTO t (emb) VALUES (vector64('[1,2,3]'))"),
            "SQLITE_ERROR: vector index(insert): vector type differs from column type: 2 != 1");
  db.execute("INSERT INTO t (emb) VALUES ('[1,2,3]')");
  EXPECT_EQ(message("CREATE INDEX bad ON t (libsql_vector_idx(emb, 'metric=foo'))"),
            "SQLITE_ERROR: vector index: invalid vector index parameter 'metric=foo': invalid parameter");
  // SQLite runs an index expression only over rows: on an empty table the index is made, and
  // the first insert reports what libSQL would have said at CREATE INDEX (docs/vector.md).
  db.execute("CREATE TABLE e (emb F32_BLOB(3))");
  db.execute("CREATE INDEX e_bad ON e (libsql_vector_idx(emb, 'metric=foo'))");
  EXPECT_EQ(message("INSERT INTO e VALUES (vector('[1,2,3]'))"),
            "SQLITE_ERROR: vector index: invalid vector index parameter 'metric=foo': invalid parameter");
  EXPECT_EQ(message("SELECT * FROM vector_top_k('e_bad', vector('[1,2,3]'), 1)"),
            "SQLITE_ERROR: vector index: invalid vector index parameter 'metric=foo': invalid parameter");
  EXPECT_EQ(message("SELECT * FROM vector_top_k('t_emb', vector('[1,2]'), 1)"),
            "SQLITE_ERROR: vector index(search): dimensions are different: 2 != 3");
  EXPECT_EQ(message("SELECT * FROM vector_top_k('nope', vector('[1,2,3]'), 1)"),
            "SQLITE_ERROR: vector index(search): failed to parse vector index parameters");
  db.close();
}

INSTANTIATE_TEST_SUITE_P(FileAndMemory, VectorIndex, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? std::string("File") : std::string("Memory"); });

TEST(VectorIndexLibsqlFile, WritesUnderLibsqlsIndexAreRefusedReadsWork) {
  // A file shaped like libSQL's: the index listed in libsql_vector_meta_shadow (its DiskANN
  // graph would be in docs_emb_shadow). The Node test does the same with a file the official
  // client made.
  TempDb temp;
  {
    auto db = Client::open({.url = temp.url()});
    db.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, emb F32_BLOB(2))");
    db.execute("INSERT INTO docs VALUES (1, 'a', vector('[1,0]')), (2, 'b', vector('[0,1]'))");
    db.execute("CREATE INDEX docs_emb ON docs (libsql_vector_idx(emb))");
    db.execute("CREATE TABLE libsql_vector_meta_shadow (name TEXT PRIMARY KEY, metadata BLOB) WITHOUT ROWID");
    db.execute("INSERT INTO libsql_vector_meta_shadow VALUES ('docs_emb', x'')");
    db.close();
  }
  auto db = Client::open({.url = temp.url()});
  EXPECT_EQ(ids(db, "SELECT id FROM vector_top_k('docs_emb', vector('[0.9,0.1]'), 2)"), (std::vector<std::int64_t>{1, 2}));
  for (const char* write : {"INSERT INTO docs VALUES (3, 'c', vector('[1,1]'))", "DELETE FROM docs WHERE id = 1",
                            "UPDATE docs SET emb = vector('[1,1]') WHERE id = 2"}) {
    const std::string m = expect_error([&] { db.execute(write); }).what();
    EXPECT_NE(m.find("(docs_emb) was built by libSQL"), std::string::npos) << m;
    EXPECT_NE(m.find("writes that change an indexed vector column are refused"), std::string::npos) << m;
  }
  db.execute("UPDATE docs SET title = 'renamed' WHERE id = 2");
  EXPECT_EQ(ids(db, "SELECT count(*) FROM docs"), (std::vector<std::int64_t>{2}));
  // Dropped and made again here, the index is ours, and writes work.
  db.execute("DROP INDEX docs_emb");
  db.execute("DELETE FROM libsql_vector_meta_shadow");
  db.execute("CREATE INDEX docs_emb ON docs (libsql_vector_idx(emb))");
  db.execute("INSERT INTO docs VALUES (3, 'c', vector('[1,1]'))");
  EXPECT_EQ(ids(db, "SELECT id FROM vector_top_k('docs_emb', vector('[1,1]'), 1)"), (std::vector<std::int64_t>{3}));
  db.close();
}

TEST(VectorIndexCache, TransactionsAndOtherConnectionsNeverSeeAStaleSearch) {
  // vector_top_k keeps an F32 index in memory between searches (outside transactions); every
  // change must show in the next search, from this connection, a rolled-back transaction, or
  // another client on the same file.
  TempDb temp;
  auto db = Client::open({.url = temp.url()});
  auto other = Client::open({.url = temp.url()});
  db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, emb F32_BLOB(2))");
  db.execute("CREATE INDEX t_emb ON t (libsql_vector_idx(emb, 'metric=l2'))");
  db.execute("INSERT INTO t VALUES (1, vector('[0,0]')), (2, vector('[10,10]'))");
  const char* nearest = "SELECT id FROM vector_top_k('t_emb', vector('[5,5.5]'), 1)";
  EXPECT_EQ(ids(db, nearest), (std::vector<std::int64_t>{2}));
  {
    auto tx = db.transaction(libsql::TransactionMode::Write);
    tx.execute("INSERT INTO t VALUES (3, vector('[5,5]'))");
    EXPECT_EQ(std::get<std::int64_t>(tx.execute(nearest).rows.at(0).at(0)), 3);
    tx.rollback();
  }
  EXPECT_EQ(ids(db, nearest), (std::vector<std::int64_t>{2}));
  other.execute("INSERT INTO t VALUES (4, vector('[5,6]'))");
  EXPECT_EQ(ids(db, nearest), (std::vector<std::int64_t>{4}));
  EXPECT_EQ(ids(other, nearest), (std::vector<std::int64_t>{4}));
  db.execute("DELETE FROM t WHERE id = 4");
  EXPECT_EQ(ids(other, nearest), (std::vector<std::int64_t>{2}));
  db.execute("UPDATE t SET emb = vector('[5,5.4]') WHERE id = 1");
  EXPECT_EQ(ids(other, nearest), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(ids(db, nearest), (std::vector<std::int64_t>{1}));
  other.close();
  db.close();
}
