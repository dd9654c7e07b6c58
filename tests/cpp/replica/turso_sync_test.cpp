// Turso Sync pull client (docs/sync.md, "Turso Sync"): the protobuf codec and pull-updates decoder on
// hand-built bodies, the HTTP side against a canned server, and the real thing against
// `tursodb --sync-server` (npm @tursodatabase/cli-linux-x64-gnu).
#include "replica/turso_sync.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "libsql/client.hpp"
#include "support/pull_bodies.hpp"
#include "support/temp_db.hpp"

namespace {

using libsql::Error;
using libsql::ErrorKind;
using libsql::detail::decode_pull_response;
using libsql::detail::PullResult;
using libsql::detail::TursoSyncClient;
using libsql::detail::TursoSyncOptions;
namespace protobuf = libsql::detail::protobuf;

// ---- hand-built protobuf ----------------------------------------------------------------

using namespace libsql::test::pull;  // varint, key, vfield, lfield, delimited, header, page, body

std::string page_data(char fill, std::size_t size = 4096) { return std::string(size, fill); }
char first_byte(const libsql::detail::PageImage& p) { return static_cast<char>(p.data.at(0)); }

/// Runs `f` and returns the SYNC_PROTOCOL_ERROR it must throw (fails the test otherwise).
Error expect_protocol_error(const std::function<void()>& f, const std::string& context) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Protocol) << context << ": " << e.what();
    EXPECT_EQ(e.code_name(), "SYNC_PROTOCOL_ERROR") << context << ": " << e.what();
    return e;
  }
  ADD_FAILURE() << context << ": no error";
  return Error(ErrorKind::Misuse, 0, "NONE", "none");
}

// ---- protobuf codec ----------------------------------------------------------------------

TEST(Protobuf, VarintsRoundTripAtEveryLengthBoundary) {
  const std::uint64_t values[] = {0, 1, 127, 128, 300, 16383, 16384, (1ull << 32) - 1, 1ull << 32,
                                  (1ull << 63), std::numeric_limits<std::uint64_t>::max()};
  for (std::uint64_t v : values) {
    std::string s = varint(v);
    std::size_t pos = 0;
    EXPECT_EQ(protobuf::Reader::read_varint(s, pos), v) << v;
    EXPECT_EQ(pos, s.size()) << v;
  }
  EXPECT_EQ(varint(300), std::string("\xac\x02"));
  EXPECT_EQ(varint(std::numeric_limits<std::uint64_t>::max()).size(), 10u);
}

TEST(Protobuf, BadVarintsAreRejected) {
  const std::pair<std::string, const char*> cases[] = {
      {std::string("\x80"), "truncated after a continuation byte"},
      {std::string("\xff\xff"), "truncated in the middle"},
      {std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10), "tenth byte beyond bit 63"},
      {std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00", 11), "eleven bytes"},
  };
  for (const auto& c : cases) {  // no structured bindings: Clang 14 cannot capture them
    expect_protocol_error([&] {
      std::size_t pos = 0;
      protobuf::Reader::read_varint(c.first, pos);
    }, c.second);
  }
}

TEST(Protobuf, ReaderSkipsUnknownFieldsOfEveryWireType) {
  std::string m = vfield(9, 12345) + key(10, 1) + std::string(8, 'x') + lfield(11, "abc") + key(12, 3) +
                  vfield(1, 5) + key(13, 3) + key(13, 4) + key(12, 4) + key(14, 5) + std::string(4, 'y') +
                  vfield(2, 7);
  protobuf::Reader r(m);
  std::vector<std::uint32_t> fields;
  while (r.next()) fields.push_back(r.field());
  EXPECT_EQ(fields, (std::vector<std::uint32_t>{9, 10, 11, 12, 14, 2}));  // the group is one field
  protobuf::Reader again(m);
  while (again.next() && again.field() != 2) {
  }
  EXPECT_EQ(again.varint(), 7u);
}

TEST(Protobuf, MalformedMessagesAreRejected) {
  const std::pair<std::string, const char*> cases[] = {
      {key(0, 0) + varint(1), "field number 0"},
      {key(3, 6) + varint(1), "wire type 6"},
      {key(3, 7) + varint(1), "wire type 7"},
      {key(3, 2) + varint(5) + "abc", "length past the end"},
      {key(3, 1) + "1234567", "truncated fixed64"},
      {key(3, 5) + "123", "truncated fixed32"},
      {key(3, 0), "varint field without its value"},
      {key(3, 4), "end-group without a start"},
      {key(3, 3) + vfield(1, 1), "unterminated group"},
      {key(3, 3) + key(4, 4), "group closed by another field number"},
  };
  for (const auto& c : cases) {
    expect_protocol_error([&] {
      protobuf::Reader r(c.first);
      while (r.next()) {
      }
    }, c.second);
  }
}

TEST(Protobuf, PullRequestEncodesOnlyNonDefaultFields) {
  using libsql::detail::encode_pull_request;
  EXPECT_EQ(encode_pull_request({}), "");  // bootstrap: encoding raw (0) and empty strings omitted
  EXPECT_EQ(encode_pull_request({.client_revision = "370"}), lfield(3, "370"));
  EXPECT_EQ(encode_pull_request({.server_revision = "9", .client_revision = "3", .long_poll_timeout_ms = 1000}),
            lfield(2, "9") + lfield(3, "3") + vfield(4, 1000));
}

// ---- decode_pull_response -----------------------------------------------------------------

TEST(PullDecoder, DecodesHeaderAndPagesInPageOrder) {
  // Pages come in no particular order (docs/sync.md, "Turso Sync: the pull"); page_no is page_id + 1.
  PullResult r = decode_pull_response(
      body(header("370", 4), {page(2, page_data('c')), page(0, page_data('a')), page(3, page_data('d'))}));
  EXPECT_EQ(r.server_revision, "370");
  EXPECT_EQ(r.db_size_pages, 4u);
  EXPECT_FALSE(r.replace_base);
  ASSERT_EQ(r.pages.size(), 3u);
  EXPECT_EQ(r.pages[0].page_no, 1u);
  EXPECT_EQ(first_byte(r.pages[0]), 'a');
  EXPECT_EQ(r.pages[1].page_no, 3u);
  EXPECT_EQ(first_byte(r.pages[1]), 'c');
  EXPECT_EQ(r.pages[2].page_no, 4u);
  EXPECT_EQ(r.pages[2].data.size(), 4096u);
}

TEST(PullDecoder, HeaderAloneMeansNothingChanged) {
  PullResult r = decode_pull_response(body(header("3", 2)));
  EXPECT_EQ(r.server_revision, "3");
  EXPECT_EQ(r.db_size_pages, 2u);
  EXPECT_TRUE(r.pages.empty());
  // Without pages, no encoding is needed (the reference client checks it per page too).
  EXPECT_EQ(decode_pull_response(body(header("3", 2, false))).server_revision, "3");
}

TEST(PullDecoder, EmptyServerDatabaseHasNoSizeAndNoPages) {
  // tursodb on an empty (or checkpointed-before-start) database: revision "0", db_size absent.
  PullResult r = decode_pull_response(body(header("0", 0)));
  EXPECT_EQ(r.server_revision, "0");
  EXPECT_EQ(r.db_size_pages, 0u);
  EXPECT_TRUE(r.pages.empty());
}

TEST(PullDecoder, DuplicatePagesLastOneWins) {
  PullResult r = decode_pull_response(
      body(header("5", 2), {page(1, page_data('x')), page(0, page_data('a')), page(1, page_data('y'))}));
  ASSERT_EQ(r.pages.size(), 2u);
  EXPECT_EQ(r.pages[1].page_no, 2u);
  EXPECT_EQ(first_byte(r.pages[1]), 'y');
}

TEST(PullDecoder, UnknownFieldsAndNewerHeaderFieldsAreSkipped) {
  // Fields 7 (mvcc_log) and 8 (protocol) of newer servers, plus unknown ones of every wire type.
  std::string h = header("7", 1) + lfield(7, lfield(1, "lml3")) + vfield(8, 1) + vfield(5, 0) + vfield(6, 0) +
                  key(20, 1) + std::string(8, '\0') + key(21, 5) + std::string(4, '\0') + key(22, 3) +
                  vfield(1, 1) + key(22, 4) + lfield(23, "future");
  std::string p = vfield(3, 99) + page(0, page_data('p')) + lfield(4, "x") + key(5, 5) + "abcd";
  PullResult r = decode_pull_response(body(h, {p}));
  EXPECT_EQ(r.server_revision, "7");
  ASSERT_EQ(r.pages.size(), 1u);
  EXPECT_EQ(first_byte(r.pages[0]), 'p');
}

TEST(PullDecoder, ReplaceBaseApplyModeIsReported) {
  PullResult r = decode_pull_response(body(header("page:3", 1) + vfield(6, 1), {page(0, page_data('a'))}));
  EXPECT_TRUE(r.replace_base);
}

TEST(PullDecoder, CorruptBodiesAreRejected) {
  const std::string good_page = page(0, page_data('a'));
  const std::pair<std::string, const char*> cases[] = {
      {"", "empty body: missing header"},
      {std::string("\x85"), "truncated length prefix"},
      {varint(10) + "abc", "header length past the end"},
      {body(header("1", 1)) + varint(4200) + good_page.substr(0, 100), "page length past the end"},
      {body(header("1", 1)) + std::string("\x80"), "truncated length prefix of a page"},
      {delimited(key(1, 2) + varint(5) + "ab"), "header field past the end of the header"},
      {delimited(header("1", 1) + key(2, 0) + "\xff"), "bad varint in the header"},
      {body(header("1", 1), {page(0, page_data('a', 4095))}), "page of 4095 bytes"},
      {body(header("1", 1), {page(0, page_data('a', 4097))}), "page of 4097 bytes"},
      {body(header("1", 1), {page(0, "")}), "empty page"},
      {body(header("1", 1), {vfield(1, 0)}), "page without data"},
      {body(header("1", 2), {page(2, page_data('a'))}), "page beyond db_size"},
      {body(header("1", 0), {page(0, page_data('a'))}), "page with db_size 0"},
      {body(header("1", 2), {page(1ull << 40, page_data('a'))}), "huge page id"},
      {body(header("1", 1ull << 32)), "db_size beyond 32 bits"},
      {body(lfield(1, "1") + vfield(2, 1) + lfield(4, vfield(1, 3)), {good_page}), "zstd encoding"},
      {body(header("1", 1) + lfield(4, ""), {good_page}), "both raw and zstd encoding"},
      {body(header("1", 1, false), {good_page}), "pages without any encoding"},
      {body(header("1", 1) + vfield(5, 1)), "MVCC logical-log stream"},
      {body(header("1", 1) + vfield(6, 2)), "unknown apply mode"},
      {body(header("", 1)), "empty server revision"},
      {body(vfield(2, 1) + lfield(3, "")), "no server revision"},
      {body(header("\xff\xfe", 1)), "revision not UTF-8"},
      {body(vfield(1, 5) + vfield(2, 1)), "revision with the wrong wire type"},
      {body(header("1", 1) + lfield(2, "x")), "db_size with the wrong wire type"},
      {body(header("1", 1), {lfield(1, "x") + lfield(2, page_data('a'))}), "page id with the wrong wire type"},
      {body(header("1", 1), {vfield(1, 0) + vfield(2, 1)}), "page data with the wrong wire type"},
      {body(header("1", 1) + lfield(3, "\xff")), "malformed raw-encoding message"},
      {delimited(page(0, page_data('a'))), "a page where the header belongs"},
  };
  for (const auto& c : cases) {
    expect_protocol_error([&] { (void)decode_pull_response(c.first); }, c.second);
  }
}

TEST(PullDecoder, BootstrapMustHoldEveryPage) {
  using libsql::detail::check_complete_image;
  EXPECT_NO_THROW(check_complete_image(decode_pull_response(body(header("0", 0)))));
  EXPECT_NO_THROW(check_complete_image(
      decode_pull_response(body(header("2", 2), {page(1, page_data('b')), page(0, page_data('a'))}))));
  expect_protocol_error([] {
    check_complete_image(decode_pull_response(body(header("2", 2), {page(1, page_data('b'))})));
  }, "page 1 missing");
  expect_protocol_error([] {
    check_complete_image(
        decode_pull_response(body(header("2", 3), {page(0, page_data('a')), page(0, page_data('a'))})));
  }, "a duplicate does not make up for a missing page");
}

TEST(PullDecoder, EveryCutInsideAMessageIsRejected) {
  const std::string full = body(header("42", 3), {page(0, page_data('a')), page(2, page_data('c'))});
  // The boundaries between messages: a cut there is a valid, shorter answer (HTTP framing
  // catches it, see the CannedServer test below), a cut anywhere else must be refused.
  std::vector<std::size_t> boundaries;
  for (std::size_t pos = 0; pos < full.size();) {
    std::uint64_t len = protobuf::Reader::read_varint(full, pos);
    pos += static_cast<std::size_t>(len);
    boundaries.push_back(pos);
  }
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    if (std::find(boundaries.begin(), boundaries.end(), cut) != boundaries.end()) continue;
    try {
      (void)decode_pull_response(std::string_view(full).substr(0, cut));
      ADD_FAILURE() << "a body cut at byte " << cut << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code_name(), "SYNC_PROTOCOL_ERROR");
    }
  }
}

// ---- URLs -------------------------------------------------------------------------------

TEST(SyncUrl, PullUpdatesEndpointFollowsTheSchemeRules) {
  using libsql::detail::parse_url;
  using libsql::detail::pull_updates_url;
  const std::pair<const char*, const char*> cases[] = {
      {"libsql://db-org.turso.io", "https://db-org.turso.io/pull-updates"},
      {"libsql://127.0.0.1:8080?tls=0", "http://127.0.0.1:8080/pull-updates"},
      {"https://h:8443/", "https://h:8443/pull-updates"},
      {"http://127.0.0.1:9/base//", "http://127.0.0.1:9/base/pull-updates"},
      {"wss://h", "https://h/pull-updates"},
      {"libsql://h?authToken=secret", "https://h/pull-updates"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(pull_updates_url(parse_url(in)), want) << in;
  try {
    (void)pull_updates_url(parse_url("file:local.db"));
    ADD_FAILURE() << "file: accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Misuse);
  }
}

TEST(SyncUrl, IdentityNamesTheServerNotTheSpelling) {
  using libsql::detail::sync_url_identity;
  EXPECT_EQ(sync_url_identity("libsql://DB-org.turso.io"), "https://db-org.turso.io");
  EXPECT_EQ(sync_url_identity("libsql://db-org.turso.io"), sync_url_identity("https://db-org.turso.io:443/"));
  EXPECT_EQ(sync_url_identity("libsql://db-org.turso.io?authToken=secret"), "https://db-org.turso.io");
  EXPECT_EQ(sync_url_identity("http://127.0.0.1:80"), "http://127.0.0.1");
  EXPECT_EQ(sync_url_identity("http://127.0.0.1:8080/x/"), "http://127.0.0.1:8080/x");
  EXPECT_NE(sync_url_identity("libsql://a.turso.io"), sync_url_identity("libsql://b.turso.io"));
  EXPECT_NE(sync_url_identity("https://h"), sync_url_identity("http://h"));
  EXPECT_THROW((void)sync_url_identity(":memory:"), Error);
}

// ---- HTTP against a canned server ---------------------------------------------------------

/// Answers every request with one canned HTTP response and records what it received.
class CannedServer {
 public:
  struct Request {
    std::string head;  // request line and headers
    std::string body;
  };

  explicit CannedServer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0) {
      throw std::runtime_error("CannedServer: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  CannedServer(const CannedServer&) = delete;
  CannedServer& operator=(const CannedServer&) = delete;
  ~CannedServer() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  static std::string response(int status, const std::string& body, const std::string& content_type,
                              std::size_t claimed_length = std::string::npos) {
    std::size_t length = claimed_length == std::string::npos ? body.size() : claimed_length;
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + content_type +
           "\r\nContent-Length: " + std::to_string(length) + "\r\nConnection: close\r\n\r\n" + body;
  }

 private:
  void run() {
    for (;;) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::string data;
      char buf[65536];
      std::size_t head_end = std::string::npos;
      std::size_t want = std::string::npos;
      while (want == std::string::npos || data.size() < want) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        data.append(buf, static_cast<std::size_t>(n));
        if (head_end == std::string::npos && (head_end = data.find("\r\n\r\n")) != std::string::npos) {
          std::string lower = data.substr(0, head_end);
          for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          std::size_t cl = lower.find("content-length:");
          want = head_end + 4 + (cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 15)));
        }
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back({data.substr(0, head_end), head_end == std::string::npos ? "" : data.substr(head_end + 4)});
      }
      ::send(c, response_.data(), response_.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::mutex mu_;
  std::vector<Request> requests_;
  std::thread thread_;
};

Error pull_error(TursoSyncClient& client, const std::string& revision = "") {
  try {
    (void)client.pull(revision);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "pull succeeded";
  return Error(ErrorKind::Misuse, 0, "NONE", "none");
}

TEST(TursoSyncHttp, SendsAProtobufPostWithBearerToken) {
  CannedServer server(CannedServer::response(200, body(header("3", 1), {page(0, page_data('z'))}),
                                             "application/protobuf"));
  TursoSyncClient client({.sync_url = server.url(), .auth_token = "tok-123", .long_poll_timeout_ms = 500});
  PullResult r = client.pull("2");
  EXPECT_EQ(r.server_revision, "3");
  ASSERT_EQ(r.pages.size(), 1u);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].head.rfind("POST /pull-updates HTTP/1.1\r\n", 0), 0u) << reqs[0].head;
  EXPECT_NE(reqs[0].head.find("Content-Type: application/protobuf\r\n"), std::string::npos) << reqs[0].head;
  EXPECT_NE(reqs[0].head.find("Authorization: Bearer tok-123\r\n"), std::string::npos) << reqs[0].head;
  EXPECT_EQ(reqs[0].body, lfield(3, "2") + vfield(4, 500));
}

TEST(TursoSyncHttp, TokenFromTheUrlWinsAndNoTokenSendsNoAuthorization) {
  CannedServer server(CannedServer::response(200, body(header("1", 0)), "application/protobuf"));
  {
    TursoSyncClient client({.sync_url = server.url() + "?authToken=from-url", .auth_token = "from-config"});
    (void)client.pull("");
    EXPECT_EQ(client.url(), server.url() + "/pull-updates");
  }
  {
    TursoSyncClient client({.sync_url = server.url()});
    (void)client.pull("");
  }
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_NE(reqs[0].head.find("Authorization: Bearer from-url\r\n"), std::string::npos);
  EXPECT_EQ(reqs[0].body, "");  // bootstrap: an empty request message
  EXPECT_EQ(reqs[1].head.find("Authorization"), std::string::npos);
}

TEST(TursoSyncHttp, Http401And403AreAuthErrorsWithoutTheToken) {
  for (int status : {401, 403}) {
    CannedServer server(CannedServer::response(status, "bad token secret-tok", "text/plain"));
    TursoSyncClient client({.sync_url = server.url(), .auth_token = "secret-tok"});
    Error e = pull_error(client);
    EXPECT_EQ(e.kind(), ErrorKind::Auth) << status;
    EXPECT_EQ(e.code_name(), "AUTH_FAILED");
    EXPECT_EQ(std::string(e.what()).find("secret-tok"), std::string::npos) << e.what();
  }
}

TEST(TursoSyncHttp, OtherHttpErrorsAreServerErrorsWithoutTheToken) {
  // tursodb answers a zstd request so; and a server echoing the token must not leak it.
  CannedServer server(CannedServer::response(500, "Internal Server Error: Zstd encoding is not supported secret-tok",
                                             "text/plain"));
  TursoSyncClient client({.sync_url = server.url(), .auth_token = "secret-tok"});
  Error e = pull_error(client);
  EXPECT_EQ(e.kind(), ErrorKind::Protocol);
  EXPECT_EQ(e.code_name(), "SERVER_ERROR");
  std::string msg = e.what();
  EXPECT_NE(msg.find("HTTP status 500"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Zstd encoding is not supported"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("secret-tok"), std::string::npos) << msg;
}

TEST(TursoSyncHttp, NotFoundSaysItIsNoSyncServer) {
  CannedServer server(CannedServer::response(404, "Not Found", "text/plain"));
  TursoSyncClient client({.sync_url = server.url()});
  Error e = pull_error(client);
  EXPECT_EQ(e.code_name(), "SERVER_ERROR");
  EXPECT_NE(std::string(e.what()).find("/pull-updates"), std::string::npos) << e.what();
}

TEST(TursoSyncHttp, CorruptBodyIsAProtocolError) {
  CannedServer server(CannedServer::response(200, body(header("1", 1), {page(0, page_data('a', 100))}),
                                             "application/protobuf"));
  TursoSyncClient client({.sync_url = server.url()});
  EXPECT_EQ(pull_error(client).code_name(), "SYNC_PROTOCOL_ERROR");
}

TEST(TursoSyncHttp, BodyCutShortByTheConnectionIsANetworkError) {
  // Cut exactly between two messages: the decoder alone could not notice, HTTP framing does.
  std::string full = body(header("1", 2), {page(0, page_data('a')), page(1, page_data('b'))});
  std::string cut = body(header("1", 2), {page(0, page_data('a'))});
  CannedServer server(CannedServer::response(200, cut, "application/protobuf", full.size()));
  TursoSyncClient client({.sync_url = server.url()});
  Error e = pull_error(client);
  EXPECT_EQ(e.kind(), ErrorKind::Network) << e.what();
}

TEST(TursoSyncHttp, UnreachableServerIsANetworkError) {
  int port = 0;
  {
    CannedServer probe("");
    port = std::stoi(probe.url().substr(probe.url().rfind(':') + 1));
  }  // closed: nobody listens there now
  TursoSyncClient client({.sync_url = "http://127.0.0.1:" + std::to_string(port), .auth_token = "secret-tok"});
  Error e = pull_error(client);
  EXPECT_EQ(e.kind(), ErrorKind::Network) << e.what();
  EXPECT_EQ(std::string(e.what()).find("secret-tok"), std::string::npos);
}

TEST(TursoSyncHttp, AsyncPullDeliversOnceAndBlockingPullInsideACallbackIsRefused) {
  CannedServer server(CannedServer::response(200, body(header("9", 0)), "application/protobuf"));
  TursoSyncClient client({.sync_url = server.url()});
  std::promise<std::string> nested;
  client.pull("", [&](libsql::Outcome<PullResult> o) {
    std::string seen = std::holds_alternative<PullResult>(o) ? std::get<PullResult>(o).server_revision : "error";
    try {
      (void)client.pull("");
      nested.set_value(seen + "/no error");
    } catch (const Error& e) {
      nested.set_value(seen + "/" + e.code_name());
    }
  });
  EXPECT_EQ(nested.get_future().get(), "9/MISUSE");
}

TEST(TursoSyncHttp, PullAfterCloseFailsWithClientClosed) {
  CannedServer server(CannedServer::response(200, body(header("9", 0)), "application/protobuf"));
  TursoSyncClient client({.sync_url = server.url()});
  client.close();
  try {
    (void)client.pull("");
    ADD_FAILURE() << "pull after close succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "CLIENT_CLOSED");
  }
}

TEST(TursoSyncHttp, SharedTransportOutlivesTheClient) {
  CannedServer server(CannedServer::response(200, body(header("4", 0)), "application/protobuf"));
  auto http = std::make_shared<libsql::detail::HttpTransport>(libsql::detail::HttpOptions{});
  {
    TursoSyncClient client({.sync_url = server.url()}, http);
    EXPECT_EQ(client.pull("").server_revision, "4");
    client.close();  // not ours to close
  }
  TursoSyncClient again({.sync_url = server.url()}, http);
  EXPECT_EQ(again.pull("").server_revision, "4");
}

// ---- against tursodb --sync-server ----------------------------------------------------------

int free_port() {
  CannedServer probe("");
  return std::stoi(probe.url().substr(probe.url().rfind(':') + 1));
}

bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

/// Builds a database file from pulled pages the simple way (no live readers): the check
/// that the pages are a real SQLite database, independent of the WAL injector.
void apply_to_file(const std::string& path, const PullResult& r) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  for (const auto& p : r.pages) {
    auto off = static_cast<off_t>(p.page_no - 1) * 4096;
    ASSERT_EQ(::pwrite(fd, p.data.data(), p.data.size(), off), 4096);
  }
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(r.db_size_pages) * 4096), 0);
  ::close(fd);
}

/// Rows of `sql` on a local file through the system SQLite, as "a|b" strings.
std::vector<std::string> local_rows(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "open " << path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        if (i) row += '|';
        const unsigned char* t = sqlite3_column_text(stmt, i);
        row += t ? reinterpret_cast<const char*>(t) : "NULL";
      }
      out.push_back(row);
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

class TursodbSync : public testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(LIBSQL_TURSODB)) {
      GTEST_SKIP() << "tursodb not installed (npm ci installs @tursodatabase/cli-linux-x64-gnu)";
    }
    start();
  }
  void TearDown() override { stop(); }

  void start() {
    port_ = free_port();
    std::string listen = "127.0.0.1:" + std::to_string(port_);
    std::string db = server_db_.path();
    pid_ = ::fork();
    if (pid_ == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execl(LIBSQL_TURSODB, LIBSQL_TURSODB, db.c_str(), "--sync-server", listen.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 600 && !accepts(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(accepts(port_)) << "tursodb did not start";
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  libsql::Client hrana() {
    return libsql::Client::open({.url = url(), .timeout = std::chrono::milliseconds(5000)});
  }

  libsql::test::TempDb server_db_;
  libsql::test::TempDb replica_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(TursodbSync, FreshServerBootstrapsEmptyAtRevisionZero) {
  TursoSyncClient sync({.sync_url = url()});
  PullResult r = sync.pull("");
  EXPECT_EQ(r.server_revision, "0");
  EXPECT_EQ(r.db_size_pages, 0u);
  EXPECT_TRUE(r.pages.empty());
}

TEST_F(TursodbSync, BootstrapIsAWholeDatabase) {
  auto db = hrana();
  db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  db.batch({"INSERT INTO t VALUES (1, 'one')", "INSERT INTO t VALUES (2, 'two')"}, libsql::TransactionMode::Write);
  db.close();

  TursoSyncClient sync({.sync_url = url()});
  PullResult r = sync.pull("");
  EXPECT_FALSE(r.server_revision.empty());
  EXPECT_NE(r.server_revision, "0");
  ASSERT_GE(r.db_size_pages, 2u);
  ASSERT_EQ(r.pages.size(), r.db_size_pages);  // every page of a database built in the WAL
  EXPECT_EQ(std::memcmp(r.pages[0].data.data(), "SQLite format 3\0", 16), 0);
  EXPECT_EQ(static_cast<int>(r.pages[0].data[18]), 2);  // WAL mode (docs/sync.md, "Turso Sync: the pull")
  for (std::size_t i = 0; i < r.pages.size(); ++i) EXPECT_EQ(r.pages[i].page_no, i + 1);

  apply_to_file(replica_.path(), r);
  EXPECT_EQ(local_rows(replica_.path(), "SELECT id, v FROM t ORDER BY id"),
            (std::vector<std::string>{"1|one", "2|two"}));
  EXPECT_EQ(local_rows(replica_.path(), "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
}

TEST_F(TursodbSync, PullAfterWritesReturnsOnlyChangedPagesAndANewRevision) {
  auto db = hrana();
  db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  db.execute("CREATE TABLE other (x)");
  std::vector<libsql::Statement> fill;
  fill.reserve(300);
  for (int i = 0; i < 200; ++i) {
    fill.emplace_back("INSERT INTO t (v) VALUES (?)", std::vector<libsql::Value>{libsql::Value(std::string(300, 'a'))});
  }
  db.batch(fill, libsql::TransactionMode::Write);

  TursoSyncClient sync({.sync_url = url()});
  PullResult boot = sync.pull("");
  apply_to_file(replica_.path(), boot);
  ASSERT_GT(boot.pages.size(), 10u);

  db.execute("UPDATE t SET v = 'changed' WHERE id = 150");
  db.execute("INSERT INTO other VALUES (42)");
  PullResult delta = sync.pull(boot.server_revision);
  EXPECT_NE(delta.server_revision, boot.server_revision);
  EXPECT_FALSE(delta.pages.empty());
  EXPECT_LT(delta.pages.size(), boot.pages.size() / 2) << "a delta should not resend the database";
  EXPECT_EQ(delta.db_size_pages, boot.db_size_pages);

  apply_to_file(replica_.path(), delta);
  EXPECT_EQ(local_rows(replica_.path(), "SELECT v FROM t WHERE id = 150"), std::vector<std::string>{"changed"});
  EXPECT_EQ(local_rows(replica_.path(), "SELECT count(*), sum(length(v)) FROM t"),
            std::vector<std::string>{"200|" + std::to_string(199 * 300 + 7)});
  EXPECT_EQ(local_rows(replica_.path(), "SELECT x FROM other"), std::vector<std::string>{"42"});
  EXPECT_EQ(local_rows(replica_.path(), "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  db.close();
}

TEST_F(TursodbSync, DatabaseCheckpointedBeforeTheServerStartedIsRefusedAtBootstrap) {
  // tursodb serves pages from its WAL only (docs/sync.md, "Turso Sync: tursodb's quirks", still so in 0.7.0): a file
  // checkpointed before it started bootstraps as empty, and after a write as just the
  // written pages. The latter must not become a replica with holes.
  stop();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(server_db_.path().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                           "INSERT INTO t VALUES (1, 'old');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);  // the last connection checkpoints and removes the WAL
  }
  ASSERT_FALSE(std::filesystem::exists(server_db_.path() + "-wal"));
  start();
  TursoSyncClient sync({.sync_url = url()});
  PullResult empty = sync.pull("");  // indistinguishable from an empty database
  EXPECT_EQ(empty.server_revision, "0");
  EXPECT_TRUE(empty.pages.empty());

  auto db = hrana();
  db.execute("INSERT INTO t VALUES (2, 'new')");
  db.close();
  try {
    (void)sync.pull("");
    ADD_FAILURE() << "an incomplete bootstrap was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SYNC_PROTOCOL_ERROR");
    EXPECT_NE(std::string(e.what()).find("incomplete bootstrap"), std::string::npos) << e.what();
  }
  // An incremental pull has no such check: it is a delta by definition.
  EXPECT_FALSE(sync.pull(empty.server_revision).pages.empty());
}

TEST_F(TursodbSync, PullAtTheCurrentRevisionReturnsNoPages) {
  auto db = hrana();
  db.execute("CREATE TABLE t (x)");
  db.execute("INSERT INTO t VALUES (1)");
  db.close();
  TursoSyncClient sync({.sync_url = url()});
  PullResult boot = sync.pull("");
  PullResult again = sync.pull(boot.server_revision);
  EXPECT_EQ(again.server_revision, boot.server_revision);
  EXPECT_EQ(again.db_size_pages, boot.db_size_pages);
  EXPECT_TRUE(again.pages.empty());
}

TEST_F(TursodbSync, SchemaChangeAndGrowthArriveThroughDeltas) {
  auto db = hrana();
  db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  db.execute("INSERT INTO t VALUES (1, 'a')");
  TursoSyncClient sync({.sync_url = url()});
  PullResult boot = sync.pull("");
  apply_to_file(replica_.path(), boot);

  db.execute("ALTER TABLE t ADD COLUMN w INTEGER DEFAULT 7");
  db.execute("CREATE INDEX t_v ON t (v)");
  std::vector<libsql::Statement> fill;
  fill.reserve(300);
  for (int i = 2; i <= 300; ++i) {
    fill.emplace_back("INSERT INTO t (id, v) VALUES (?, ?)",
                      std::vector<libsql::Value>{libsql::Value(std::int64_t{i}), libsql::Value(std::string(200, 'b'))});
  }
  db.batch(fill, libsql::TransactionMode::Write);
  PullResult delta = sync.pull(boot.server_revision);
  EXPECT_GT(delta.db_size_pages, boot.db_size_pages);
  apply_to_file(replica_.path(), delta);
  EXPECT_EQ(local_rows(replica_.path(), "SELECT count(*), sum(w) FROM t INDEXED BY t_v WHERE v > ''"),
            std::vector<std::string>{"300|2100"});
  EXPECT_EQ(local_rows(replica_.path(), "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  db.close();
}

}  // namespace
