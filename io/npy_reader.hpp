#pragma once
// NumPy .npy reading: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
// (format versions 1.0, 2.0 and 3.0). The writer is io/npy_writer.
#include <cstdint>
#include <string>
#include <vector>

namespace voxflow::io {

/// An array from a .npy file, converted to float32 and re-ordered to C order (last index fastest)
/// whatever the file's 'fortran_order'. shape is the file's shape ([] for a 0-d array, which holds
/// one value). dtype is the file's descr as written (e.g. "<f8", ">i2", "|u1").
struct NpyArray {
  std::vector<std::int64_t> shape;
  std::vector<float> values;  // prod(shape) values, C order
  std::string dtype;
};

/// Reads `path`. Supported dtypes: float16/32/64 ('f2', 'f4', 'f8'), signed and unsigned integers
/// of 1, 2, 4 and 8 bytes ('i1'..'i8', 'u1'..'u8') and bool ('b1'), little- ('<'), big- ('>'),
/// native ('=') or no ('|') byte order. Integers larger than 2^24 lose precision in float32.
/// Throws InputError naming the path for: a missing or unreadable file, a bad magic string, an
/// unknown format version, a header that is not the dict numpy writes ('descr', 'fortran_order',
/// 'shape'), an unsupported dtype (complex, strings, objects, structured; named in the message), a
/// negative dimension, or a data size that differs from prod(shape) * itemsize.
NpyArray read_npy(const std::string& path);

}  // namespace voxflow::io
