#pragma once
// A file that appears under its final name only when complete (DESIGN.md "Outputs appear atomically").
#include <cstddef>
#include <string>
#include <vector>

namespace voxflow::io {

/// Opens "<path>.tmp-<run id>" for writing (run_id(): the same on every rank, new for every run). write() at explicit offsets; commit() flushes and renames
/// to `path`; the destructor removes the temporary if commit() was not called. release() keeps
/// the temporary file (closed) for a caller that finishes it some other way (e.g. other MPI ranks
/// write into it before the rename).
/// Throws InputError when the temporary cannot be created (folder missing or not writable),
/// InternalError on a failed write or rename.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t bytes, std::size_t offset);
  void commit();
  void release();
  const std::string& temp_path() const { return tmp_; }

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool done_ = false;
};

/// Temporary name used for `path` by this run: "<path>.tmp-<run id>" (src/core/mpi_context.hpp).
/// Every voxflow output is written under this name first, so the call also notes `path` as an
/// output of this process (claimed_paths_under): write_output_manifest lists a new or changed
/// file as the run's own only when a rank claimed it, so a file that another program put into
/// the output folder while the run was going is not the run's, and a later run leaves it alone.
/// Thread-safe.
std::string temp_name_for(const std::string& path);

/// The paths this process claimed (temp_name_for) inside folder `dir`, in the canonical form
/// output_path_key gives. Thread-safe.
std::vector<std::string> claimed_paths_under(const std::string& dir);

/// The form claimed paths are compared in: std::filesystem::weakly_canonical of the absolute path.
std::string output_path_key(const std::string& path);

/// fsync(2) of an existing file by name (the data other ranks wrote into it reach the disk before
/// its rename). Returns false on failure (errno set); file systems without fsync count as success.
bool sync_file(const std::string& path);

/// Text file written atomically (summary.yaml, CSV).
void write_text_atomic(const std::string& path, const std::string& text);

}  // namespace voxflow::io
