#pragma once
// SHA-256 of input files (provenance.json, the cohort's content key).
#include <string>
#include <utility>
#include <vector>

namespace voxflow::io {

/// SHA-256 (src/core/sha256.hpp) of the file's bytes, 64 lowercase hex digits.
/// Throws InputError "<path>: cannot read ..." when it cannot be opened or read.
std::string sha256_file(const std::string& path);

/// Every regular file of `path` with its SHA-256: the file itself, or for a folder (a DICOM series)
/// each file below it, recursively, in lexicographic path order. Throws InputError as sha256_file,
/// or when `path` does not exist.
std::vector<std::pair<std::string, std::string>> sha256_files(const std::string& path);

}  // namespace voxflow::io
