// The gRPC-web / libSQL frame codec of the replica (src/replica/libsql_grpc.*) on hand-built
// answers: framing and trailers, trailers-only errors, truncation, Hello, frames, commit units,
// snapshots, merging units into an image, and the metadata of a libsql-grpc replica.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "libsql/error.hpp"
#include "replica/libsql_grpc.hpp"
#include "replica/replica_meta.hpp"
#include "replica/turso_sync.hpp"

using namespace libsql::detail;

namespace {

std::string trailer(const std::string& text) {
  std::string out(1, '\x80');
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((text.size() >> shift) & 0xff));
  return out + text;
}

std::string frame_bytes(std::uint64_t frame_no, std::uint32_t page_no, std::uint32_t size_after, char fill) {
  std::string out(kLibsqlFrameHeaderSize + kReplicaPageSize, fill);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((frame_no >> (8 * i)) & 0xff);
  for (int i = 0; i < 8; ++i) out[8 + i] = 0;
  for (int i = 0; i < 4; ++i) out[16 + i] = static_cast<char>((page_no >> (8 * i)) & 0xff);
  for (int i = 0; i < 4; ++i) out[20 + i] = static_cast<char>((size_after >> (8 * i)) & 0xff);
  return out;
}

std::string frame_message(const std::string& data) {
  std::string m;
  protobuf::append_bytes_field(m, 1, data);
  return m;
}

std::string frames_message(const std::vector<std::string>& frames) {
  std::string m;
  for (const auto& f : frames) protobuf::append_bytes_field(m, 1, frame_message(f));
  return m;
}

template <class F>
void expect_code(F&& f, const char* code) {
  try {
    f();
    ADD_FAILURE() << "expected " << code;
  } catch (const libsql::Error& e) {
    EXPECT_EQ(e.code_name(), code) << e.what();
  }
}

TEST(GrpcWeb, DataFramesThenTrailer) {
  std::string body = grpc_web::frame_message("abc") + grpc_web::frame_message("") +
                     trailer("grpc-status:0\r\ngrpc-message:all%20good\r\n");
  auto r = grpc_web::decode_reply(body, {});
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0], "abc");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.message, "all good");
}

TEST(GrpcWeb, TrailersOnlyErrorsComeInTheHeaders) {
  auto r = grpc_web::decode_reply("", {{"grpc-status", "9"}, {"grpc-message", "NEED_SNAPSHOT"}});
  EXPECT_EQ(r.status, 9);
  EXPECT_EQ(r.message, "NEED_SNAPSHOT");
}

TEST(GrpcWeb, TruncatedOrMalformedAnswersAreProtocolErrors) {
  const std::string good = grpc_web::frame_message("abcdef") + trailer("grpc-status:0\r\n");
  for (std::size_t cut = 1; cut < good.size(); ++cut) {
    SCOPED_TRACE(cut);
    expect_code([&] { (void)grpc_web::decode_reply(good.substr(0, cut), {}); }, "SYNC_PROTOCOL_ERROR");
  }
  expect_code([] { (void)grpc_web::decode_reply("", {}); }, "SYNC_PROTOCOL_ERROR");
  expect_code([] { (void)grpc_web::decode_reply(trailer("grpc-status:x\r\n"), {}); }, "SYNC_PROTOCOL_ERROR");
  expect_code([] { (void)grpc_web::decode_reply(trailer("grpc-message:no status\r\n"), {}); }, "SYNC_PROTOCOL_ERROR");
  expect_code([] { (void)grpc_web::decode_reply(trailer("grpc-status:0\r\n") + grpc_web::frame_message("x"), {}); },
              "SYNC_PROTOCOL_ERROR");
  std::string compressed = grpc_web::frame_message("x");
  compressed[0] = 1;
  expect_code([&] { (void)grpc_web::decode_reply(compressed + trailer("grpc-status:0\r\n"), {}); }, "SYNC_PROTOCOL_ERROR");
}

TEST(LibsqlGrpc, Hello) {
  std::string m;
  protobuf::append_bytes_field(m, 1, "gen");
  protobuf::append_bytes_field(m, 3, "14b58966-e7e3-4405-b43b-feb173559c5b");
  protobuf::append_bytes_field(m, 4, "dd0af9cd-76c3-1dd0-f1c2-e6a9db52ca49");
  protobuf::append_varint_field(m, 5, 42);
  auto h = decode_hello(m);
  EXPECT_EQ(h.log_id, "14b58966-e7e3-4405-b43b-feb173559c5b");
  EXPECT_EQ(h.session_token, "dd0af9cd-76c3-1dd0-f1c2-e6a9db52ca49");
  EXPECT_EQ(h.current_replication_index, 42u);
  std::string no_log;
  protobuf::append_bytes_field(no_log, 4, "tok");
  expect_code([&] { (void)decode_hello(no_log); }, "SYNC_PROTOCOL_ERROR");
}

TEST(LibsqlGrpc, FramesAreBufferedToCommitUnits) {
  std::vector<LibsqlFrame> frames;
  const std::string msg = frames_message({frame_bytes(5, 1, 0, 'a'), frame_bytes(6, 2, 0, 'b'),
                                          frame_bytes(7, 1, 3, 'c'), frame_bytes(8, 3, 0, 'd')});
  decode_frames_message(msg, frames);
  ASSERT_EQ(frames.size(), 4u);
  CommitAssembler a(5);
  for (const auto& f : frames) a.add(f);
  ASSERT_TRUE(a.has_committed());
  auto unit = a.take_committed();
  EXPECT_EQ(unit.server_revision, "7");
  EXPECT_EQ(unit.db_size_pages, 3u);
  EXPECT_EQ(unit.frames, 3u);
  ASSERT_EQ(unit.pages.size(), 2u);  // page 1 twice: the last wins; frame 8 waits for its commit
  EXPECT_EQ(static_cast<char>(unit.pages[0].data[0]), 'c');
  EXPECT_FALSE(a.has_committed());
  EXPECT_EQ(a.next_frame_no(), 9u);
  // A gap or a repeat is refused.
  expect_code([&] { a.add(frames[0]); }, "SYNC_PROTOCOL_ERROR");
  expect_code([] { (void)decode_libsql_frame(std::string(100, 'x')); }, "SYNC_PROTOCOL_ERROR");
  expect_code([] { (void)decode_libsql_frame(frame_bytes(1, 0, 0, 'x')); }, "SYNC_PROTOCOL_ERROR");
  expect_code([] { (void)decode_libsql_frame(frame_bytes(1, 9, 2, 'x')); }, "SYNC_PROTOCOL_ERROR");
}

TEST(LibsqlGrpc, SnapshotUnit) {
  std::vector<LibsqlFrame> frames;
  std::vector<std::string> keep = {frame_bytes(9, 3, 0, 'x'), frame_bytes(4, 1, 0, 'y'), frame_bytes(2, 2, 2, 'z')};
  for (const auto& k : keep) frames.push_back(decode_libsql_frame(k));
  auto unit = snapshot_unit(frames);
  EXPECT_EQ(unit.server_revision, "9");
  EXPECT_EQ(unit.db_size_pages, 2u);
  ASSERT_EQ(unit.pages.size(), 2u);  // page 3 lies beyond the size
  std::vector<LibsqlFrame> no_size = {decode_libsql_frame(keep[0])};
  expect_code([&] { (void)snapshot_unit(no_size); }, "SYNC_PROTOCOL_ERROR");
}

TEST(LibsqlGrpc, MergeUnitsIntoAnImage) {
  auto page = [](std::uint32_t no, char c) {
    return PageImage{no, std::vector<std::byte>(kReplicaPageSize, static_cast<std::byte>(c))};
  };
  PullResult image;
  PullResult a;
  a.pages = {page(1, 'a'), page(2, 'a'), page(3, 'a')};
  a.db_size_pages = 3;
  a.server_revision = "3";
  a.frames = 4;
  merge_unit(image, std::move(a));
  PullResult b;
  b.pages = {page(2, 'b')};
  b.db_size_pages = 2;
  b.server_revision = "5";
  b.log_id = "L";
  b.frames = 2;
  merge_unit(image, std::move(b));
  PullResult none;
  merge_unit(image, std::move(none));
  ASSERT_EQ(image.pages.size(), 2u);
  EXPECT_EQ(static_cast<char>(image.pages[1].data[0]), 'b');
  EXPECT_EQ(image.db_size_pages, 2u);
  EXPECT_EQ(image.server_revision, "5");
  EXPECT_EQ(image.log_id, "L");
  EXPECT_EQ(image.frames, 6u);
  check_complete_image(image);
}

TEST(LibsqlGrpcMeta, ProtocolAndLogIdRoundTrip) {
  ReplicaMeta m;
  m.sync_url = "http://127.0.0.1:8080";
  m.protocol = "libsql-grpc";
  m.log_id = "14b58966-e7e3-4405-b43b-feb173559c5b";
  m.server_revision = "";
  auto again = decode_replica_meta(encode_replica_meta(m));
  EXPECT_EQ(again.protocol, "libsql-grpc");
  EXPECT_EQ(again.log_id, m.log_id);
  EXPECT_EQ(again.server_revision, "");
  // An existing Turso Sync file (no log_id) still reads as Turso Sync.
  auto old = decode_replica_meta(
      R"({"format":"libsql-cpp-replica","version":1,"protocol":"turso-sync","sync_url":"https://h","page_size":4096,"server_revision":"370"})");
  EXPECT_EQ(old.protocol, "turso-sync");
  EXPECT_TRUE(old.log_id.empty());
  expect_code([] {
    (void)decode_replica_meta(
        R"({"format":"libsql-cpp-replica","version":1,"protocol":"libsql-grpc","sync_url":"https://h","page_size":4096,"server_revision":"1"})");
  }, "REPLICA_META_INVALID");
  expect_code([] {
    (void)decode_replica_meta(
        R"({"format":"libsql-cpp-replica","version":1,"protocol":"carrier-pigeon","sync_url":"https://h","page_size":4096,"server_revision":"1"})");
  }, "REPLICA_META_INVALID");
}

}  // namespace
