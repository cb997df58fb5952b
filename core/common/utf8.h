#pragma once
// UTF-8 code points, for the places that walk text by character (JSONata strings and regular
// expressions, the repr of Map Label messages, JSON \u escapes). Header-only: core/jsonata uses it
// without linking the rest of core/common.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stepd {

// Decodes the code point at byte `i` of `s` into `cp` and advances `i` past it. A byte that
// does not start a well-formed sequence stands for itself (cp = the byte, `i` advances by one)
// and the result is false.
inline bool decode_utf8(std::string_view s, size_t& i, uint32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  const size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  cp = b;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return false;
  }
  uint32_t v = len == 1 ? b : (b & (0xFF >> (len + 1)));
  for (size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) {
      ++i;
      return false;
    }
    v = (v << 6) | (c & 0x3F);
  }
  cp = v;
  i += len;
  return true;
}

inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Whole strings, for code that indexes text by code point (picture strings).
inline std::u32string to_utf32(std::string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    decode_utf8(s, i, cp);
    out += static_cast<char32_t>(cp);
  }
  return out;
}

inline std::string to_utf8(std::u32string_view s) {
  std::string out;
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

}  // namespace stepd
