#pragma once
// Base64url without padding (RFC 4648 §5): the encoding of the opaque strings stepd hands out,
// task tokens and page tokens, which must survive URLs and JSON unescaped.
#include <optional>
#include <string>
#include <string_view>

namespace stepd {

std::string base64url_encode(std::string_view bytes);
// nullopt when `text` holds a character outside the alphabet.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace stepd
