#include "core/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <sstream>

namespace reco {
namespace {

TEST(EscapeLogText, EscapesEveryControlCharacter) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"plain run-1 ünïcode", "plain run-1 ünïcode"},
      {"a\r\nlevel=error forged", "a\\r\\nlevel=error forged"},
      {"tab\there", "tab\\there"},
      {std::string("nul\0x", 5), "nul\\x00x"},
      {"esc\x1b[31m del\x7f", "esc\\x1b[31m del\\x7f"},
      {"nel\xc2\x85 ls\xe2\x80\xa8 ps\xe2\x80\xa9", "nel\\u0085 ls\\u2028 ps\\u2029"},
      {"\n", "\\n"},
      {"", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(EscapeLogText(c.in), c.out) << c.out;
}

TEST(EscapeLogText, KeepsOtherMultiByteCharacters) {
  // U+00E9 (c3 a9), U+20AC (e2 82 ac), U+2027 (e2 80 a7): not line breaks.
  const std::string text = "\xc3\xa9 \xe2\x82\xac \xe2\x80\xa7 \xc2";
  EXPECT_EQ(EscapeLogText(text), text);
}

// The formatter of every logger writes a message holding CR/LF as one line.
TEST(LogFormatter, AMessageWithLineBreaksStaysOneLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("escape_test", sink);
  logger.set_formatter(MakeLogFormatter());
  const std::string run_id = "x\r\n2030-01-01T00:00:00.000+00:00 level=error forged";
  logger.warn("model reload failed run_id={}", run_id);
  logger.flush();
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_NE(text.find("level=warning model reload failed run_id=x\\r\\n2030-01-01"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace reco
