#include "core/common/token_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace stepd {
namespace {

const std::string kKey(32, 'k');

TEST(TokenCodecTest, RoundTripKeepsEveryClaim) {
  TokenCodec codec(kKey);
  for (TokenClaims c : {TokenClaims{1, 1, 0}, TokenClaims{42, 7, 0x0123456789abcdefULL},
                        TokenClaims{INT64_MAX, INT64_MAX, UINT64_MAX}, TokenClaims{0, 0, 0}}) {
    auto opened = codec.open(codec.seal(c));
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(opened->execution_id, c.execution_id);
    EXPECT_EQ(opened->task_seq, c.task_seq);
    EXPECT_EQ(opened->nonce, c.nonce);
  }
}

TEST(TokenCodecTest, TokensAreUrlSafeText) {
  TokenCodec codec(kKey);
  std::string t = codec.seal({5, 6, 7});
  EXPECT_FALSE(t.empty());
  EXPECT_LE(t.size(), 2048u);  // the API's taskToken limit
  for (char c : t) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << t;
  }
}

TEST(TokenCodecTest, ChangingAnyCharacterIsRejected) {
  TokenCodec codec(kKey);
  std::string token = codec.seal({123, 4, 0xfeedface});
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < token.size(); ++i) {
    for (char replacement : {alphabet[(alphabet.find(token[i]) + 1) % 64],
                             alphabet[(alphabet.find(token[i]) + 33) % 64]}) {
      std::string tampered = token;
      tampered[i] = replacement;
      EXPECT_FALSE(codec.open(tampered).has_value()) << "position " << i;
    }
  }
}

TEST(TokenCodecTest, FlippingAnyBitOfTheDecodedBytesIsRejected) {
  TokenCodec codec(kKey);
  std::string token = codec.seal({9, 9, 9});
  // Each character carries 6 bits; flipping each of them covers every byte of the payload.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < token.size(); ++i) {
    for (int bit = 0; bit < 6; ++bit) {
      std::string tampered = token;
      tampered[i] = alphabet[alphabet.find(token[i]) ^ (1 << bit)];
      EXPECT_FALSE(codec.open(tampered).has_value()) << "position " << i << " bit " << bit;
    }
  }
}

TEST(TokenCodecTest, TruncatedOrExtendedTokensAreRejected) {
  TokenCodec codec(kKey);
  std::string token = codec.seal({1, 2, 3});
  for (size_t n = 0; n < token.size(); ++n) {
    EXPECT_FALSE(codec.open(token.substr(0, n)).has_value()) << n;
  }
  EXPECT_FALSE(codec.open(token + "A").has_value());
  EXPECT_FALSE(codec.open(token + token).has_value());
}

TEST(TokenCodecTest, AnotherKeyCannotOpenIt) {
  TokenCodec ours(kKey);
  TokenCodec theirs(std::string(32, 'x'));
  std::string token = ours.seal({1, 2, 3});
  EXPECT_FALSE(theirs.open(token).has_value());
  EXPECT_TRUE(ours.open(token).has_value());
}

TEST(TokenCodecTest, GarbageIsRejected) {
  TokenCodec codec(kKey);
  for (std::string g : {std::string(), std::string("x"), std::string("not a token"),
                        std::string("{\"executionId\":1}"), std::string(44, 'A'),
                        std::string(43, 'A'), std::string(5000, 'A'), std::string("====="),
                        std::string("\0\0\0", 3), std::string("\xff\xfe")}) {
    EXPECT_FALSE(codec.open(g).has_value()) << g;
  }
}

TEST(TokenCodecTest, ShortKeysAreRefused) {
  EXPECT_THROW(TokenCodec(std::string(31, 'k')), std::invalid_argument);
}

TEST(TokenCodecTest, GeneratedKeysAreHexAndDiffer) {
  std::string a = TokenCodec::generate_key();
  std::string b = TokenCodec::generate_key();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(TokenCodecTest, SameClaimsWithNewNonceGiveNewToken) {
  TokenCodec codec(kKey);
  EXPECT_NE(codec.seal({1, 1, 1}), codec.seal({1, 1, 2}));
  EXPECT_NE(codec.seal({1, 1, 1}), codec.seal({1, 2, 1}));
  EXPECT_EQ(codec.seal({1, 1, 1}), codec.seal({1, 1, 1}));
}

}  // namespace
}  // namespace stepd
