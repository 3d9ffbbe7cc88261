// Unit tests of the heatmap readers of `voxflow overlay` (issue 5): io/npy_reader (dtypes, byte
// orders, C and Fortran order, format versions 1-3), io/heatmap_json, heatmap_csv,
// heatmap_binary and the io/heatmap_reader dispatch. Files are written byte by byte here, so the
// expected values are known exactly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/heatmap_binary.hpp"
#include "io/heatmap_csv.hpp"
#include "io/heatmap_json.hpp"
#include "io/heatmap_reader.hpp"
#include "io/npy_reader.hpp"
#include "io/npy_writer.hpp"
#include "src/core/error.hpp"

namespace fs = std::filesystem;
using namespace voxflow;
using namespace voxflow::io;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vf-ovr-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name, const std::string& bytes) const {
    const std::string p = (path / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
};

// An NPY file: magic, version, header length (2 bytes for v1, 4 for v2/v3), dict, padding.
std::string npy_bytes(int version, const std::string& descr, bool fortran, const std::string& shape,
                      const std::string& data) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                     ", 'shape': " + shape + ", }";
  const std::size_t pre = version == 1 ? 10 : 12;
  while ((pre + dict.size() + 1) % 64 != 0) dict += ' ';
  dict += '\n';
  std::string h = "\x93NUMPY";
  h += static_cast<char>(version);
  h += '\0';
  const std::size_t n = dict.size();
  for (std::size_t i = 0; i < (version == 1 ? 2u : 4u); ++i) h += static_cast<char>((n >> (8 * i)) & 0xff);
  return h + dict + data;
}

template <class T>
std::string raw(const std::vector<T>& v, bool big_endian = false) {
  std::string s(v.size() * sizeof(T), '\0');
  for (std::size_t i = 0; i < v.size(); ++i) {
    unsigned char b[sizeof(T)];
    std::memcpy(b, &v[i], sizeof(T));  // host: little-endian (x86, arm64)
    for (std::size_t k = 0; k < sizeof(T); ++k) s[i * sizeof(T) + k] = static_cast<char>(big_endian ? b[sizeof(T) - 1 - k] : b[k]);
  }
  return s;
}

const std::vector<float> kC23 = {1, 2, 3, 4, 5, 6};  // [[1, 2, 3], [4, 5, 6]] in C order

}  // namespace

TEST(NpyReader, Float32COrderVersion1) {
  TempDir d;
  const NpyArray a = read_npy(d.file("a.npy", npy_bytes(1, "<f4", false, "(2, 3)", raw(kC23))));
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a.values, kC23);
  EXPECT_EQ(a.dtype, "<f4");
}

TEST(NpyReader, FortranOrderIsReorderedToC) {
  TempDir d;
  // [[1, 2, 3], [4, 5, 6]] stored column-major: 1 4 2 5 3 6
  const NpyArray a = read_npy(d.file("f.npy", npy_bytes(1, "<f8", true, "(2, 3)", raw(std::vector<double>{1, 4, 2, 5, 3, 6}))));
  EXPECT_EQ(a.values, kC23);
  // 3-D Fortran: element (i, j, k) at i + 2 j + 4 k for shape (2, 2, 2)
  std::vector<double> f(8);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 2; ++k) f[static_cast<std::size_t>(i + 2 * j + 4 * k)] = 100 * i + 10 * j + k;
  const NpyArray b = read_npy(d.file("f3.npy", npy_bytes(1, "<f8", true, "(2, 2, 2)", raw(f))));
  const std::vector<float> want = {0, 1, 10, 11, 100, 101, 110, 111};  // C order: k fastest
  EXPECT_EQ(b.values, want);
}

TEST(NpyReader, VersionsTwoAndThree) {
  TempDir d;
  for (int v : {2, 3}) {
    const NpyArray a = read_npy(d.file("v" + std::to_string(v) + ".npy", npy_bytes(v, "<f4", false, "(2, 3)", raw(kC23))));
    EXPECT_EQ(a.values, kC23) << v;
  }
  EXPECT_THROW(read_npy(d.file("v9.npy", npy_bytes(9, "<f4", false, "(2, 3)", raw(kC23)))), InputError);
}

TEST(NpyReader, IntegerAndBoolDtypesBothByteOrders) {
  TempDir d;
  EXPECT_EQ(read_npy(d.file("i2be.npy", npy_bytes(1, ">i2", false, "(2, 2)", raw(std::vector<std::int16_t>{-300, 2, 7, 32767}, true)))).values,
            (std::vector<float>{-300, 2, 7, 32767}));
  EXPECT_EQ(read_npy(d.file("u1.npy", npy_bytes(1, "|u1", false, "(1, 3)", std::string("\x00\x80\xff", 3)))).values,
            (std::vector<float>{0, 128, 255}));
  EXPECT_EQ(read_npy(d.file("i1.npy", npy_bytes(1, "|i1", false, "(1, 2)", std::string("\xff\x05", 2)))).values,
            (std::vector<float>{-1, 5}));
  EXPECT_EQ(read_npy(d.file("u4.npy", npy_bytes(1, "<u4", false, "(1, 2)", raw(std::vector<std::uint32_t>{4000000, 9})))).values,
            (std::vector<float>{4000000, 9}));
  EXPECT_EQ(read_npy(d.file("i8.npy", npy_bytes(1, ">i8", false, "(1, 2)", raw(std::vector<std::int64_t>{-5, 1 << 20}, true)))).values,
            (std::vector<float>{-5, 1 << 20}));
  EXPECT_EQ(read_npy(d.file("f8be.npy", npy_bytes(1, ">f8", false, "(3,)", raw(std::vector<double>{0.5, -2.25, 1e10}, true)))).values,
            (std::vector<float>{0.5f, -2.25f, 1e10f}));
  EXPECT_EQ(read_npy(d.file("b1.npy", npy_bytes(1, "|b1", false, "(1, 3)", std::string("\x01\x00\x01", 3)))).values,
            (std::vector<float>{1, 0, 1}));
  // float16: 1.0 = 0x3c00, -2.5 = 0xc100, 65504 = 0x7bff
  EXPECT_EQ(read_npy(d.file("f2.npy", npy_bytes(1, "<f2", false, "(3,)", raw(std::vector<std::uint16_t>{0x3c00, 0xc100, 0x7bff})))).values,
            (std::vector<float>{1.0f, -2.5f, 65504.0f}));
}

TEST(NpyReader, RejectsWhatItCannotRead) {
  TempDir d;
  auto message = [](const std::string& p) {
    try {
      read_npy(p);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string c8 = message(d.file("c.npy", npy_bytes(1, "<c8", false, "(2, 2)", std::string(32, '\0'))));
  EXPECT_NE(c8.find("'<c8' is not supported"), std::string::npos) << c8;
  EXPECT_NE(message(d.file("u.npy", npy_bytes(1, "<U3", false, "(2,)", std::string(24, '\0')))).find("not supported"), std::string::npos);
  EXPECT_NE(message(d.file("o.npy", npy_bytes(1, "|O", false, "(2,)", std::string(16, '\0')))).find("not supported"), std::string::npos);
  const std::string short_data = message(d.file("s.npy", npy_bytes(1, "<f4", false, "(2, 3)", raw(std::vector<float>{1, 2}))));
  EXPECT_NE(short_data.find("8 bytes"), std::string::npos) << short_data;
  EXPECT_NE(short_data.find("needs 24"), std::string::npos) << short_data;
  EXPECT_NE(message(d.file("m.npy", "NUMPY but not really")).find("magic"), std::string::npos);
  EXPECT_NE(message((d.path / "missing.npy").string()).find("cannot open"), std::string::npos);
}

TEST(NpyReader, ReadsWhatNpyWriterWrites) {
  TempDir d;
  const std::string p = (d.path / "w.npy").string();
  const std::vector<double> v = {1.5, 2.5, 3.5, 4.5, 5.5, 6.5};
  write_npy(p, v.data(), {3, 2}, true);  // Fortran: element (i, j) = v[i + 3 j]
  const NpyArray a = read_npy(p);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(a.values, (std::vector<float>{1.5f, 4.5f, 2.5f, 5.5f, 3.5f, 6.5f}));
}

TEST(HeatmapJson, DataRowsAndNull) {
  TempDir d;
  const Heatmap h = read_heatmap_json(d.file("a.json", R"({"data": [[0.1, 0.3, 0.8], [0.4, null, -2e3]]})"));
  EXPECT_EQ(h.nx(), 3);
  EXPECT_EQ(h.ny(), 2);
  EXPECT_EQ(h.nz(), 1);
  EXPECT_FALSE(h.is_volume);
  EXPECT_FLOAT_EQ(h.at(2, 0), 0.8f);
  EXPECT_FLOAT_EQ(h.at(0, 1), 0.4f);
  EXPECT_TRUE(std::isnan(h.at(1, 1)));
  EXPECT_FLOAT_EQ(h.at(2, 1), -2000.0f);
  // a bare array of rows is accepted too
  EXPECT_EQ(read_heatmap_json(d.file("b.json", "[[1, 2], [3, 4]]")).values, (std::vector<float>{1, 2, 3, 4}));
}

TEST(HeatmapJson, Errors) {
  TempDir d;
  EXPECT_THROW(read_heatmap_json(d.file("m.json", R"({"data": [[1, 2], [3, 4])")), InputError);
  EXPECT_THROW(read_heatmap_json(d.file("r.json", R"({"data": [[1, 2], [3]]})")), InputError);
  EXPECT_THROW(read_heatmap_json(d.file("n.json", R"({"values": [[1]]})")), InputError);
  EXPECT_THROW(read_heatmap_json(d.file("s.json", R"({"data": [[1, "x"]]})")), InputError);
  EXPECT_THROW(read_heatmap_json(d.file("e.json", R"({"data": []})")), InputError);
  try {
    read_heatmap_json(d.file("r2.json", R"({"data": [[1, 2], [3, 4], [5]]})"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 2 has 1 values, row 0 has 2"), std::string::npos) << e.what();
  }
}

TEST(HeatmapCsv, RowsCommentsAndNaN) {
  TempDir d;
  const Heatmap h = read_heatmap_csv(d.file("a.csv", "# attention\n0.1, 0.3,0.8\n\n0.4,,nan\n1e2,-5,7,\n"));
  EXPECT_EQ(h.nx(), 3);
  EXPECT_EQ(h.ny(), 3);
  EXPECT_FLOAT_EQ(h.at(1, 0), 0.3f);
  EXPECT_TRUE(std::isnan(h.at(1, 1)));
  EXPECT_TRUE(std::isnan(h.at(2, 1)));
  EXPECT_FLOAT_EQ(h.at(0, 2), 100.0f);
  EXPECT_FLOAT_EQ(h.at(2, 2), 7.0f);
}

TEST(HeatmapCsv, Errors) {
  TempDir d;
  try {
    read_heatmap_csv(d.file("r.csv", "1,2,3\n4,5\n"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2 has 2 values"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_heatmap_csv(d.file("t.csv", "a,b\n1,2\n")), InputError);
  EXPECT_THROW(read_heatmap_csv(d.file("e.csv", "\n# nothing\n")), InputError);
}

TEST(HeatmapBinary, HeaderAndSize) {
  TempDir d;
  std::string b = raw(std::vector<std::uint32_t>{2, 3}) + raw(std::vector<float>{1, 2, 3, 4, 5, 6.5f});
  const Heatmap h = read_heatmap_binary(d.file("a.bin", b));
  EXPECT_EQ(h.nx(), 3);
  EXPECT_EQ(h.ny(), 2);
  EXPECT_EQ(h.values, (std::vector<float>{1, 2, 3, 4, 5, 6.5f}));
  try {
    read_heatmap_binary(d.file("s.bin", b.substr(0, b.size() - 4)));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("32 bytes with the header) but the file is 28 bytes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_heatmap_binary(d.file("l.bin", b + "xxxx")), InputError);
  EXPECT_THROW(read_heatmap_binary(d.file("h.bin", "abc")), InputError);
  EXPECT_THROW(read_heatmap_binary(d.file("z.bin", raw(std::vector<std::uint32_t>{0, 3}))), InputError);
}

TEST(HeatmapReader, DispatchByNameAndContent) {
  TempDir d;
  EXPECT_EQ(detect_heatmap_format(d.file("a.json", "{}")), HeatmapFormat::Json);
  EXPECT_EQ(detect_heatmap_format(d.file("a.csv", "1")), HeatmapFormat::Csv);
  EXPECT_EQ(detect_heatmap_format(d.file("a.bin", "12345678")), HeatmapFormat::Binary);
  EXPECT_EQ(detect_heatmap_format(d.file("a.npy", "x")), HeatmapFormat::Npy);
  EXPECT_EQ(detect_heatmap_format(d.file("x.nii.gz", "x")), HeatmapFormat::Nifti);
  EXPECT_EQ(detect_heatmap_format(d.file("m.h5", "x") + ":maps/kb"), HeatmapFormat::Hdf5);
  // no telling name: the content decides
  EXPECT_EQ(detect_heatmap_format(d.file("p", npy_bytes(1, "<f4", false, "(1,)", raw(std::vector<float>{1})))),
            HeatmapFormat::Npy);
  EXPECT_EQ(detect_heatmap_format(d.file("q", "  {\"data\": [[1]]}")), HeatmapFormat::Json);
  EXPECT_EQ(detect_heatmap_format(d.file("r", "0.5,1\n")), HeatmapFormat::Csv);
  EXPECT_THROW(detect_heatmap_format(d.file("u", "GIF89a")), InputError);
  EXPECT_THROW(detect_heatmap_format((d.path / "missing.json").string()), InputError);
  EXPECT_THROW(detect_heatmap_format((d.path / "missing.h5").string() + ":kb"), InputError);
}

TEST(HeatmapReader, NpyShapes) {
  TempDir d;
  // 2-D (rows, cols): row 0 on top
  const Heatmap h2 = read_heatmap(d.file("a.npy", npy_bytes(1, "<f4", false, "(2, 3)", raw(kC23))));
  EXPECT_FALSE(h2.is_volume);
  EXPECT_EQ(h2.nx(), 3);
  EXPECT_FLOAT_EQ(h2.at(2, 1), 6.0f);
  // 3-D [x, y, z] (voxflow's maps): C order, z fastest in the file
  std::vector<float> c(2 * 3 * 4);
  for (int x = 0; x < 2; ++x)
    for (int y = 0; y < 3; ++y)
      for (int z = 0; z < 4; ++z) c[static_cast<std::size_t>((x * 3 + y) * 4 + z)] = 100.0f * x + 10.0f * y + z;
  const Heatmap h3 = read_heatmap(d.file("v.npy", npy_bytes(1, "<f4", false, "(2, 3, 4)", raw(c))));
  EXPECT_TRUE(h3.is_volume);
  EXPECT_EQ(h3.dims, (std::array<std::int64_t, 3>{2, 3, 4}));
  EXPECT_FLOAT_EQ(h3.at(1, 2, 3), 123.0f);
  EXPECT_FLOAT_EQ(h3.at(0, 1, 2), 12.0f);
  EXPECT_THROW(read_heatmap(d.file("1d.npy", npy_bytes(1, "<f4", false, "(6,)", raw(kC23)))), InputError);
}
