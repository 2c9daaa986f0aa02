#include "api/http/request_id.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <random>

namespace reco {

bool SaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

void GenerateRequestId(std::string& out) {
  struct Generator {
    char prefix[9];
    uint64_t counter = 0;
    Generator() {
      std::random_device rd;
      fmt::format_to_n(prefix, 8, "{:08x}", rd());
      prefix[8] = '\0';
    }
  };
  thread_local Generator gen;
  out.assign(gen.prefix, 8);
  out += '-';
  char buf[20];
  const auto r = std::to_chars(buf, buf + sizeof(buf), ++gen.counter, 16);
  out.append(buf, r.ptr);
}

}  // namespace reco
