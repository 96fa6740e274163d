/* re2_check.cc - the one C++ file: compiles a pattern with RE2 and turns
 * its error into a short, printable message for a diagnostic. The last few
 * answers are remembered per thread: compiling a file for several targets
 * (sk_compile_multi) checks each pattern once per target, and compiling
 * is most of the modifier pass's time. */
#include "re2_check.h"

#include <re2/re2.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

const size_t kMaxFragment = 40; // code points of the pattern quoted

// Appends s with control characters escaped, cut after max code points
// (then "...").
void put_printable(std::string &out, const std::string &s, size_t max) {
  size_t points = 0;
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && points++ == max) {
      out += "...";
      return;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
}

char *dup_c(const std::string &s) {
  char *p = static_cast<char *>(std::malloc(s.size() + 1));
  if (!p) {
    std::fputs("sigmakql: fatal: out of memory\n", stderr);
    std::abort();
  }
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

// A checked pattern and RE2's answer (error empty when it compiled).
struct Answer {
  bool used = false;
  std::string pattern, error;
};
const unsigned kRemembered = 16;
thread_local Answer answers[kRemembered];
thread_local unsigned next_answer;

bool check(const char *pattern, size_t len, std::string &error);

} // namespace

extern "C" bool sk_re2_check(const char *pattern, size_t len, char **error) {
  if (error)
    *error = nullptr;
  const Answer *hit = nullptr;
  for (const Answer &a : answers)
    if (a.used && a.pattern.size() == len && std::memcmp(a.pattern.data(), pattern, len) == 0)
      hit = &a;
  std::string msg;
  if (hit) {
    msg = hit->error;
  } else {
    check(pattern, len, msg);
    Answer &a = answers[next_answer++ % kRemembered];
    a.used = true;
    a.pattern.assign(pattern, len);
    a.error = msg;
  }
  if (msg.empty())
    return true;
  if (error)
    *error = dup_c(msg);
  return false;
}

namespace {

// Compiles pattern; false with a printable message in error.
bool check(const char *pattern, size_t len, std::string &error) {
  RE2::Options opts;
  opts.set_log_errors(false); // the message goes into a diagnostic instead
  RE2 re(re2::StringPiece(pattern, len), opts);
  if (re.ok())
    return true;
  // RE2's error() is "<what>: <fragment>"; rebuild it with the fragment
  // made printable. Errors without a fragment ("pattern too large -
  // compile failed") are kept as they are.
  std::string msg = re.error();
  const std::string &arg = re.error_arg();
  if (!arg.empty() && msg.size() >= arg.size() + 2 &&
      msg.compare(msg.size() - arg.size() - 2, std::string::npos, ": " + arg) == 0) {
    msg.resize(msg.size() - arg.size());
    put_printable(msg, arg, kMaxFragment);
  } else {
    std::string raw = msg;
    msg.clear();
    put_printable(msg, raw, 200);
  }
  if (msg.empty())
    msg = "rejected"; // an empty message would read as success above
  error = msg;
  return false;
}

} // namespace
