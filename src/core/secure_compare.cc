#include "core/secure_compare.h"

#include <cstddef>

namespace reco {

bool ConstantTimeEquals(std::string_view given, std::string_view expected) {
  if (expected.empty()) return given.empty();
  // volatile: the compiler must not turn the accumulation into an early exit.
  volatile unsigned char diff = given.size() == expected.size() ? 0 : 1;
  size_t j = 0;
  for (size_t i = 0; i < given.size(); ++i) {
    diff = diff | static_cast<unsigned char>(static_cast<unsigned char>(given[i]) ^
                                             static_cast<unsigned char>(expected[j]));
    j = j + 1 == expected.size() ? 0 : j + 1;
  }
  return diff == 0;
}

}  // namespace reco
