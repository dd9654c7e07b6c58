#pragma once

#include <curl/curl.h>

#include <memory>

namespace libsql::detail {

struct CleanupEasy {
  void operator()(CURL* p) const noexcept { curl_easy_cleanup(p); }
};
struct CleanupMulti {
  void operator()(CURLM* p) const noexcept { curl_multi_cleanup(p); }
};
struct FreeSlist {
  void operator()(curl_slist* p) const noexcept { curl_slist_free_all(p); }
};
using EasyHandle = std::unique_ptr<CURL, CleanupEasy>;
using MultiHandle = std::unique_ptr<CURLM, CleanupMulti>;
using SlistHandle = std::unique_ptr<curl_slist, FreeSlist>;

}  // namespace libsql::detail
