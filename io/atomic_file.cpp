#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>

#include "src/core/error.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::io {

namespace {

std::mutex claimed_mutex;
std::set<std::string>& claimed_paths() {
  static std::set<std::string> paths;
  return paths;
}

}  // namespace

std::string output_path_key(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec) return path;
  const std::filesystem::path p = std::filesystem::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal().string() : p.string();
}

std::vector<std::string> claimed_paths_under(const std::string& dir) {
  std::string prefix = output_path_key(dir);
  if (prefix.empty() || prefix.back() != '/') prefix += '/';
  std::vector<std::string> out;
  std::lock_guard<std::mutex> lock(claimed_mutex);
  for (const std::string& p : claimed_paths())
    if (p.compare(0, prefix.size(), prefix) == 0) out.push_back(p);
  return out;
}

std::string temp_name_for(const std::string& path) {
  const std::string key = output_path_key(path);
  {
    std::lock_guard<std::mutex> lock(claimed_mutex);
    claimed_paths().insert(key);
  }
  return path + ".tmp-" + run_id();
}


AtomicFile::AtomicFile(const std::string& path) : path_(path), tmp_(temp_name_for(path)) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd_ < 0) throw InputError("cannot create " + path + ": " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!done_) std::remove(tmp_.c_str());
}

void AtomicFile::write(const void* data, std::size_t bytes, std::size_t offset) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t w = ::pwrite(fd_, p, bytes, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      throw InternalError("write to " + tmp_ + " failed: " + std::strerror(errno));
    }
    p += w;
    offset += static_cast<std::size_t>(w);
    bytes -= static_cast<std::size_t>(w);
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0 && errno != EINVAL) throw InternalError("fsync " + tmp_ + ": " + std::strerror(errno));
  ::close(fd_);
  fd_ = -1;
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
    throw InternalError("cannot rename " + tmp_ + " to " + path_ + ": " + std::strerror(errno));
  done_ = true;
}

void AtomicFile::release() {
  ::close(fd_);
  fd_ = -1;
  done_ = true;
}

bool sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0 || errno == EINVAL;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return ok;
}

void write_text_atomic(const std::string& path, const std::string& text) {
  AtomicFile f(path);
  f.write(text.data(), text.size(), 0);
  f.commit();
}

}  // namespace voxflow::io
