// SPDX-License-Identifier: MIT
#include "transport/tls.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "test_support.h"

using namespace wechat::transport;
using namespace wechat::transport::testing;
using wechat::Error;

TEST_CASE("tls: a generated certificate has a 64-digit lowercase SHA-256 fingerprint") {
  TestCertificate cert;
  const std::string fp = cert.fingerprint();
  CHECK(fp.size() == 64);
  CHECK(fp.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(cert.fingerprint() == fp);  // stable

  TestCertificate other;
  CHECK(other.fingerprint() != fp);  // fresh key and serial each time
}

TEST_CASE("tls: the generated private key is readable by its owner only") {
  TestCertificate cert;
  struct stat st {};
  REQUIRE(::stat(cert.key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("tls: an existing key file is narrowed to mode 0600 when overwritten") {
  TempDir dir;
  const std::string key = dir.file("key.pem");
  { std::ofstream(key) << "old"; }
  REQUIRE(::chmod(key.c_str(), 0644) == 0);
  REQUIRE(generate_self_signed_certificate(dir.file("cert.pem"), key, "server.example").ok());
  struct stat st {};
  REQUIRE(::stat(key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("tls: generating a certificate rejects an empty name and an unwritable path") {
  TempDir dir;
  CHECK(generate_self_signed_certificate(dir.file("c.pem"), dir.file("k.pem"), "").code() ==
        Error::kInvalidArgument);
  CHECK(generate_self_signed_certificate(dir.file("c.pem"), dir.file("k.pem"), "x", 0).code() ==
        Error::kInvalidArgument);
  CHECK(
      generate_self_signed_certificate(dir.file("c.pem"), dir.file("missing/k.pem"), "x").code() ==
      Error::kIo);
}

TEST_CASE("tls: a server context loads a generated certificate and key") {
  TestCertificate cert;
  auto ctx = make_server_tls_context(cert.cert, cert.key);
  CHECK(ctx.ok());
}

TEST_CASE("tls: a server context reports a missing file as kIo and a bad one as kTls") {
  TestCertificate cert;
  TestCertificate other;
  TempDir dir;
  const std::string junk = dir.file("junk.pem");
  { std::ofstream(junk) << "not a certificate\n"; }

  CHECK(make_server_tls_context(dir.file("nope.pem"), cert.key).code() == Error::kIo);
  CHECK(make_server_tls_context(cert.cert, dir.file("nope.pem")).code() == Error::kIo);
  CHECK(make_server_tls_context(junk, cert.key).code() == Error::kTls);
  CHECK(make_server_tls_context(cert.cert, junk).code() == Error::kTls);
  CHECK(make_server_tls_context(cert.cert, other.key).code() == Error::kTls);  // mismatched
}

TEST_CASE("tls: a client pin is 64 hex digits, case-insensitive, colons allowed") {
  TestCertificate cert;
  const std::string fp = cert.fingerprint();
  std::string colons;
  for (std::size_t i = 0; i < fp.size(); i += 2) {
    if (!colons.empty()) colons += ':';
    colons += static_cast<char>(std::toupper(fp[i]));
    colons += static_cast<char>(std::toupper(fp[i + 1]));
  }
  CHECK(make_client_tls_context(tls_options("", fp)).ok());
  CHECK(make_client_tls_context(tls_options("", colons)).ok());
  CHECK(make_client_tls_context(tls_options("", fp.substr(2))).code() == Error::kInvalidArgument);
  CHECK(make_client_tls_context(tls_options("", fp + "00")).code() == Error::kInvalidArgument);
  CHECK(make_client_tls_context(tls_options("", std::string(64, 'g'))).code() ==
        Error::kInvalidArgument);
}

TEST_CASE("tls: a client context with a missing CA file is kIo, with a bad one kTls") {
  TempDir dir;
  const std::string junk = dir.file("junk.pem");
  { std::ofstream(junk) << "junk\n"; }
  CHECK(make_client_tls_context(tls_options(dir.file("nope.pem"), "")).code() == Error::kIo);
  CHECK(make_client_tls_context(tls_options(junk, "")).code() == Error::kTls);
  CHECK(make_client_tls_context(tls_options("", "")).ok());  // system trust store
  CHECK(make_client_tls_context(tls_options("", "", false)).ok());
}

TEST_CASE("tls: the fingerprint of a missing or non-PEM file is an error") {
  TempDir dir;
  const std::string junk = dir.file("junk.pem");
  { std::ofstream(junk) << "junk\n"; }
  CHECK(certificate_sha256_fingerprint(dir.file("nope.pem")).code() == Error::kIo);
  CHECK(certificate_sha256_fingerprint(junk).code() == Error::kTls);
}
