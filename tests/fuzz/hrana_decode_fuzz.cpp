// libFuzzer target: the Hrana pipeline response decoder must accept or reject any byte string
// with a HRANA_PROTO_ERROR, never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/base64.hpp"
#include "remote/hrana_json.hpp"

using namespace libsql::detail::hrana;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the requests the response must match.
  std::vector<Request> requests;
  const unsigned shape = data[0];
  for (unsigned i = 0; i < (shape & 3) + 1; ++i) {
    switch ((shape >> (2 + i)) & 3) {
      case 0: requests.push_back(execute(libsql::Statement("SELECT 1"))); break;
      case 1: {
        std::vector<Step> steps(1 + ((shape >> 6) & 1));
        requests.push_back(batch(std::move(steps)));
        break;
      }
      case 2: requests.push_back(sequence("SELECT 1")); break;
      default: requests.push_back(close()); break;
    }
  }
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    PipelineResponse r = decode_pipeline(body, requests);
    for (auto& result : r.results) {
      if (result.error) (void)to_error(*result.error);
      for (auto& e : result.batch.step_errors) {
        if (e) (void)to_error(*e);
      }
    }
  } catch (const libsql::Error& e) {
    if (e.code_name() != "HRANA_PROTO_ERROR") __builtin_trap();
  }
  (void)libsql::detail::base64_decode(body);
  return 0;
}
