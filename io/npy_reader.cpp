#include "io/npy_reader.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "src/core/error.hpp"

namespace voxflow::io {
namespace {

bool host_little_endian() {
  const std::uint16_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

// IEEE 754 binary16 -> float (handles subnormals, inf, NaN).
float half_to_float(std::uint16_t h) {
  const int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(frac), -24);
  else if (exp == 31)
    v = frac ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else
    v = std::ldexp(static_cast<float>(frac + 1024), exp - 25);
  return sign ? -v : v;
}

// Value of key `key` in numpy's header dict text, as the raw literal (up to the next top-level ','
// or '}'), or "" when absent.
std::string dict_value(const std::string& dict, const std::string& key) {
  for (const char q : {'\'', '"'}) {
    const std::string k = std::string(1, q) + key + q;
    auto p = dict.find(k);
    if (p == std::string::npos) continue;
    p = dict.find(':', p + k.size());
    if (p == std::string::npos) return "";
    ++p;
    while (p < dict.size() && std::isspace(static_cast<unsigned char>(dict[p]))) ++p;
    int depth = 0;
    std::size_t e = p;
    char in_quote = 0;
    for (; e < dict.size(); ++e) {
      const char c = dict[e];
      if (in_quote) {
        if (c == in_quote) in_quote = 0;
        continue;
      }
      if (c == '\'' || c == '"') in_quote = c;
      else if (c == '(' || c == '[' || c == '{') ++depth;
      else if (c == ')' || c == ']' || c == '}') {
        if (depth == 0) break;
        --depth;
      } else if (c == ',' && depth == 0) break;
    }
    std::string v = dict.substr(p, e - p);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
    return v;
  }
  return "";
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the NPY file (missing or unreadable)");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw InputError(path + ": not an NPY file (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw InputError(path + ": NPY header is truncated");
    for (int i = 0; i < 4; ++i) header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    throw InputError(path + ": NPY format version " + std::to_string(major) + " is not supported (1, 2 or 3)");
  }
  if (bytes.size() < header_start + header_len) throw InputError(path + ": NPY header is truncated");
  const std::string dict = bytes.substr(header_start, header_len);

  NpyArray arr;
  std::string descr = dict_value(dict, "descr");
  const std::string fortran = dict_value(dict, "fortran_order");
  const std::string shape = dict_value(dict, "shape");
  if (descr.empty() || fortran.empty() || shape.empty() || shape.front() != '(')
    throw InputError(path + ": NPY header is not numpy's dict with 'descr', 'fortran_order' and 'shape'");
  if (descr.front() == '[')
    throw InputError(path + ": NPY structured dtype " + descr + " is not supported (use a plain numeric array)");
  if (descr.size() < 2 || (descr.front() != '\'' && descr.front() != '"'))
    throw InputError(path + ": NPY descr " + descr + " is not understood");
  descr = descr.substr(1, descr.size() - 2);
  arr.dtype = descr;
  if (fortran != "True" && fortran != "False")
    throw InputError(path + ": NPY fortran_order '" + fortran + "' is neither True nor False");
  const bool fortran_order = fortran == "True";
  // shape: "(3, 4)" "(5,)" "()"
  {
    std::string s = shape.substr(1, shape.size() - 2);
    std::size_t p = 0;
    while (p < s.size()) {
      while (p < s.size() && (std::isspace(static_cast<unsigned char>(s[p])) || s[p] == ',')) ++p;
      if (p >= s.size()) break;
      std::size_t e = p;
      while (e < s.size() && s[e] != ',') ++e;
      std::string tok = s.substr(p, e - p);
      while (!tok.empty() && std::isspace(static_cast<unsigned char>(tok.back()))) tok.pop_back();
      if (!tok.empty() && tok.back() == 'L') tok.pop_back();  // Python 2 longs
      char* end = nullptr;
      const long long v = std::strtoll(tok.c_str(), &end, 10);
      if (tok.empty() || *end != '\0' || v < 0)
        throw InputError(path + ": NPY shape " + shape + " is not a tuple of non-negative integers");
      arr.shape.push_back(v);
      p = e;
    }
  }

  // dtype
  if (descr.size() < 3) throw InputError(path + ": NPY dtype '" + descr + "' is not supported");
  const char order = descr[0], kind = descr[1];
  const std::string size_text = descr.substr(2);
  const int itemsize = std::atoi(size_text.c_str());
  const bool ok_order = order == '<' || order == '>' || order == '|' || order == '=';
  bool ok = ok_order && std::to_string(itemsize) == size_text;
  if (ok) {
    if (kind == 'f') ok = itemsize == 2 || itemsize == 4 || itemsize == 8;
    else if (kind == 'i' || kind == 'u') ok = itemsize == 1 || itemsize == 2 || itemsize == 4 || itemsize == 8;
    else if (kind == 'b') ok = itemsize == 1;
    else ok = false;
  }
  if (!ok)
    throw InputError(path + ": NPY dtype '" + descr +
                     "' is not supported (float16/32/64, int8..int64, uint8..uint64 or bool)");
  const bool file_le = order == '<' || (order != '>' && host_little_endian());
  const bool swap = itemsize > 1 && file_le != host_little_endian();

  std::size_t n = 1;
  for (auto d : arr.shape) n *= static_cast<std::size_t>(d);
  const std::size_t data_start = header_start + header_len;
  const std::size_t have = bytes.size() - data_start;
  if (have != n * static_cast<std::size_t>(itemsize))
    throw InputError(path + ": NPY data is " + std::to_string(have) + " bytes but shape " + shape + " of '" +
                     descr + "' needs " + std::to_string(n * static_cast<std::size_t>(itemsize)));

  std::vector<float> flat(n);
  const unsigned char* src = reinterpret_cast<const unsigned char*>(bytes.data()) + data_start;
  unsigned char buf[8];
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char* e = src + i * static_cast<std::size_t>(itemsize);
    for (int b = 0; b < itemsize; ++b) buf[b] = swap ? e[itemsize - 1 - b] : e[b];
    float v = 0.0f;
    switch (kind) {
      case 'f':
        if (itemsize == 2) {
          std::uint16_t h;
          std::memcpy(&h, buf, 2);
          v = half_to_float(h);
        } else if (itemsize == 4) {
          std::memcpy(&v, buf, 4);
        } else {
          double d;
          std::memcpy(&d, buf, 8);
          v = static_cast<float>(d);
        }
        break;
      case 'b': v = buf[0] ? 1.0f : 0.0f; break;
      case 'i':
        if (itemsize == 1) v = static_cast<float>(static_cast<std::int8_t>(buf[0]));
        else if (itemsize == 2) { std::int16_t t; std::memcpy(&t, buf, 2); v = static_cast<float>(t); }
        else if (itemsize == 4) { std::int32_t t; std::memcpy(&t, buf, 4); v = static_cast<float>(t); }
        else { std::int64_t t; std::memcpy(&t, buf, 8); v = static_cast<float>(t); }
        break;
      default:  // 'u'
        if (itemsize == 1) v = static_cast<float>(buf[0]);
        else if (itemsize == 2) { std::uint16_t t; std::memcpy(&t, buf, 2); v = static_cast<float>(t); }
        else if (itemsize == 4) { std::uint32_t t; std::memcpy(&t, buf, 4); v = static_cast<float>(t); }
        else { std::uint64_t t; std::memcpy(&t, buf, 8); v = static_cast<float>(t); }
        break;
    }
    flat[i] = v;
  }
  if (!fortran_order || arr.shape.size() < 2) {
    arr.values = std::move(flat);
    return arr;
  }
  // Fortran order (first index fastest) -> C order (last index fastest).
  const std::size_t nd = arr.shape.size();
  arr.values.resize(n);
  std::vector<std::size_t> idx(nd, 0), fstride(nd, 1);
  for (std::size_t d = 1; d < nd; ++d) fstride[d] = fstride[d - 1] * static_cast<std::size_t>(arr.shape[d - 1]);
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t f = 0;
    for (std::size_t d = 0; d < nd; ++d) f += idx[d] * fstride[d];
    arr.values[c] = flat[f];
    for (std::size_t d = nd; d-- > 0;) {  // advance the C-order index
      if (++idx[d] < static_cast<std::size_t>(arr.shape[d])) break;
      idx[d] = 0;
    }
  }
  return arr;
}

}  // namespace voxflow::io
