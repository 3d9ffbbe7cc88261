#include "src/core/sha256.hpp"

#include <openssl/evp.h>

#include "src/core/error.hpp"

namespace voxflow {

Sha256::Sha256() {
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  if (!c || EVP_DigestInit_ex(c, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(c);
    throw InternalError("sha256: OpenSSL could not start a SHA-256 digest");
  }
  ctx_ = c;
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::update(const void* data, std::size_t bytes) {
  if (bytes > 0 && EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, bytes) != 1)
    throw InternalError("sha256: OpenSSL digest update failed");
}

std::string Sha256::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &n) != 1 || n != 32)
    throw InternalError("sha256: OpenSSL digest failed");
  static const char* hex = "0123456789abcdef";
  std::string out(64, '0');
  for (unsigned int i = 0; i < 32; ++i) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  return out;
}

std::string sha256_hex(const std::string& data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

}  // namespace voxflow
