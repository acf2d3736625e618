// Tests of TSIG (RFC 8945) against vectors made by dnspython (tests/data/tsig/make_vectors.py):
// verifying its requests, signing answers byte for byte as it does (one message, and the second
// message of a multi-message answer), and every error: BADKEY, BADSIG, BADTIME, BADTRUNC.
#include "dns/tsig.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dns/error.h"

namespace dns::tsig {
namespace {

struct Vector {
  std::string algorithm;
  Key key;
  uint64_t time = 0;
  std::vector<uint8_t> request, request_mac, answer_unsigned, answer_signed, second_unsigned,
      second_signed;
};

std::vector<uint8_t> unhex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::vector<Vector> load_vectors() {
  const std::string path = std::string(RAFTDNS_SOURCE_DIR) + "/tests/data/tsig/vectors.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<Vector> out;
  for (const auto& v : nlohmann::json::parse(text.str())) {
    Vector x;
    x.algorithm = v["algorithm"];
    x.key.name = Name::from_text(v["key_name"].get<std::string>());
    x.key.algorithm = *algorithm_from_text(x.algorithm);
    x.key.secret = *base64_decode(v["secret"].get<std::string>());
    x.time = v["time"];
    x.request = unhex(v["request"]);
    x.request_mac = unhex(v["request_mac"]);
    x.answer_unsigned = unhex(v["answer_unsigned"]);
    x.answer_signed = unhex(v["answer_signed"]);
    x.second_unsigned = unhex(v["second_unsigned"]);
    x.second_signed = unhex(v["second_signed"]);
    out.push_back(std::move(x));
  }
  return out;
}

Verified verify(const Vector& v, const std::vector<uint8_t>& message, const Key& key,
                uint64_t now) {
  const std::optional<Located> tsig = find(message);
  EXPECT_TRUE(tsig.has_value());
  return verify_request(
      message, *tsig, [&](const Name& n) { return n == key.name ? &key : nullptr; }, now);
}

TEST(Tsig, VectorsCoverEveryAlgorithm) {
  EXPECT_EQ(load_vectors().size(), 6u);
}

TEST(Tsig, VerifiesDnspythonRequests) {
  for (const Vector& v : load_vectors()) {
    SCOPED_TRACE(v.algorithm);
    const Verified ok = verify(v, v.request, v.key, v.time);
    EXPECT_EQ(ok.error, 0);
    EXPECT_EQ(ok.key != nullptr, true);
    EXPECT_EQ(ok.record.mac, v.request_mac);
    EXPECT_FALSE(ok.formerr);
    // The fudge is 300 s either way.
    EXPECT_EQ(verify(v, v.request, v.key, v.time + 300).error, 0);
    EXPECT_EQ(verify(v, v.request, v.key, v.time - 300).error, 0);
    EXPECT_EQ(verify(v, v.request, v.key, v.time + 301).error, error::BADTIME);
    EXPECT_EQ(verify(v, v.request, v.key, v.time - 301).error, error::BADTIME);
  }
}

TEST(Tsig, WrongSecretIsBadsigUnknownKeyOrAlgorithmIsBadkey) {
  for (const Vector& v : load_vectors()) {
    SCOPED_TRACE(v.algorithm);
    Key wrong = v.key;
    wrong.secret[0] ^= 1;
    EXPECT_EQ(verify(v, v.request, wrong, v.time).error, error::BADSIG);
    Key other_name = v.key;
    other_name.name = Name::from_text("someone-else.");
    EXPECT_EQ(verify(v, v.request, other_name, v.time).error, error::BADKEY);
    Key other_algorithm = v.key;
    other_algorithm.algorithm =
        v.key.algorithm == Algorithm::HmacSha256 ? Algorithm::HmacSha512 : Algorithm::HmacSha256;
    EXPECT_EQ(verify(v, v.request, other_algorithm, v.time).error, error::BADKEY);
    // A changed message: BADSIG.
    std::vector<uint8_t> changed = v.request;
    changed[22] ^= 1;  // "example.com" -> "example.cnm"
    EXPECT_EQ(verify(v, changed, v.key, v.time).error, error::BADSIG);
  }
}

TEST(Tsig, SignsAnswersAsDnspythonDoes) {
  for (const Vector& v : load_vectors()) {
    SCOPED_TRACE(v.algorithm);
    Signer signer(v.key, v.request_mac);
    std::vector<uint8_t> first = v.answer_unsigned;
    signer.sign(first, v.time);
    EXPECT_EQ(first, v.answer_signed);
    EXPECT_TRUE(verify_response(first, v.key, v.request_mac));
    // The second message of a multi-message answer: prior MAC and timers only (§5.3.1).
    std::vector<uint8_t> second = v.second_unsigned;
    signer.sign(second, v.time);
    EXPECT_EQ(second, v.second_signed);
    // A flipped byte breaks the answer's MAC.
    first[first.size() - 20] ^= 1;
    EXPECT_FALSE(verify_response(first, v.key, v.request_mac));
  }
}

TEST(Tsig, TruncatedMacIsBadtruncAndImpossibleLengthIsFormerr) {
  const std::vector<Vector> vectors = load_vectors();
  const Vector& v = vectors.at(3);  // hmac-sha256
  ASSERT_EQ(v.algorithm, "hmac-sha256");
  const Located located = *find(v.request);
  auto with_mac = [&](std::vector<uint8_t> mac) {
    std::vector<uint8_t> m(v.request.begin(), v.request.begin() + located.offset);
    m[10] = 0;
    m[11] = static_cast<uint8_t>(m[11] - 1);
    Record r = located.record;
    r.mac = std::move(mac);
    append(m, r);
    return m;
  };
  std::vector<uint8_t> half(v.request_mac.begin(), v.request_mac.begin() + 16);
  EXPECT_EQ(verify(v, with_mac(half), v.key, v.time).error, error::BADTRUNC);
  std::vector<uint8_t> wrong_half = half;
  wrong_half[0] ^= 1;
  EXPECT_EQ(verify(v, with_mac(wrong_half), v.key, v.time).error, error::BADSIG);
  std::vector<uint8_t> tiny(v.request_mac.begin(), v.request_mac.begin() + 8);
  EXPECT_TRUE(verify(v, with_mac(tiny), v.key, v.time).formerr);
  std::vector<uint8_t> too_long = v.request_mac;
  too_long.push_back(0);
  EXPECT_TRUE(verify(v, with_mac(too_long), v.key, v.time).formerr);
  EXPECT_EQ(verify(v, with_mac(v.request_mac), v.key, v.time).error, 0);
}

TEST(Tsig, UnsignedErrorAnswerCarriesTheError) {
  const std::vector<Vector> vectors = load_vectors();
  const Vector& v = vectors.at(3);
  std::vector<uint8_t> answer = v.answer_unsigned;
  append_unsigned(answer, find(v.request)->record, v.time, error::BADKEY);
  const Located located = *find(answer);
  EXPECT_EQ(located.record.error, error::BADKEY);
  EXPECT_TRUE(located.record.mac.empty());
  EXPECT_EQ(located.record.original_id, 0x1234 + 3);
  EXPECT_EQ(located.offset, v.answer_unsigned.size());
}

TEST(Tsig, FindRejectsMisplacedOrMalformedRecords) {
  const std::vector<Vector> vectors = load_vectors();
  const Vector& v = vectors.at(3);
  EXPECT_FALSE(find(v.answer_unsigned).has_value());
  // The TSIG followed by another record: not last.
  std::vector<uint8_t> extra = v.request;
  const std::vector<uint8_t> a_record = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4};
  extra.insert(extra.end(), a_record.begin(), a_record.end());
  extra[11] = static_cast<uint8_t>(extra[11] + 1);
  EXPECT_THROW(find(extra), FormatError);
  // Truncated anywhere: FormatError, never a crash.
  for (std::size_t n = 0; n < v.request.size(); ++n) {
    std::vector<uint8_t> cut(v.request.begin(), v.request.begin() + n);
    EXPECT_THROW(find(cut), FormatError) << n;
  }
}

// hmac() keeps one OpenSSL context per algorithm and thread and rekeys it per call: keys must not
// leak from one call into the next, and an empty key is a key (RFC 4231 style known answers).
TEST(Tsig, HmacRekeysPerCallAndTakesAnEmptyKey) {
  auto hex = [](const std::vector<uint8_t>& mac) {
    std::string text;
    for (uint8_t b : mac) text += fmt::format("{:02x}", b);
    return text;
  };
  const std::string empty_sha256 =
      "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
  const std::vector<uint8_t> key{'k', 'e', 'y'};
  const std::string text = "The quick brown fox jumps over the lazy dog";
  const std::vector<uint8_t> data(text.begin(), text.end());
  const std::string keyed_sha256 =
      "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(hex(hmac(Algorithm::HmacSha256, {}, {})), empty_sha256);
    EXPECT_EQ(hex(hmac(Algorithm::HmacSha256, key, data)), keyed_sha256);
    EXPECT_EQ(hex(hmac(Algorithm::HmacMd5, key, data)), "80070713463e7749b90c2dc24911e275");
  }
}

TEST(Tsig, AlgorithmNames) {
  EXPECT_EQ(algorithm_from_text("HMAC-SHA256"), Algorithm::HmacSha256);
  EXPECT_EQ(algorithm_from_text("hmac-md5.sig-alg.reg.int"), Algorithm::HmacMd5);
  EXPECT_EQ(algorithm_from_text("hmac-sha3"), std::nullopt);
  EXPECT_EQ(algorithm_name(Algorithm::HmacMd5).to_text(), "hmac-md5.sig-alg.reg.int.");
  EXPECT_EQ(algorithm_from_name(Name::from_text("HMAC-SHA512.")), Algorithm::HmacSha512);
  EXPECT_EQ(mac_length(Algorithm::HmacSha384), 48u);
}

TEST(Tsig, Base64) {
  EXPECT_EQ(base64_decode("AAECAw=="), (std::vector<uint8_t>{0, 1, 2, 3}));
  EXPECT_EQ(base64_decode("AAEC\nAwQF"), (std::vector<uint8_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(base64_decode("AAE"), std::nullopt);
  EXPECT_EQ(base64_decode("AA*="), std::nullopt);
  EXPECT_EQ(base64_decode("A=AA"), std::nullopt);
  EXPECT_EQ(base64_decode(""), std::nullopt);
}

}  // namespace
}  // namespace dns::tsig
