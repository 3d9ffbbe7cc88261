#pragma once
// manifest.json: the list of files a finished run wrote into its output folder, written last, so a
// folder never mixes two runs unnoticed (docs/design.md "A folder never mixes two runs").
//
// Life of an output folder:
//   1. before a run writes anything there, begin_output_folder() removes the manifest.json of an
//      earlier run and every file it lists (its outputs; a file listed there is voxflow's), and
//      notes what else the folder holds (name, size, modification time, inode);
//   2. the run writes its outputs (each atomically, under "<name>.tmp-<run id>" first);
//   3. only when it finished, write_output_manifest() writes manifest.json (atomically, last):
//      "files" = every regular file under the folder that this run wrote (new, or changed since
//      step 1, and written under this run's temporary name: io/atomic_file.hpp
//      claimed_paths_under), with size and SHA-256 (provenance.json among them: every run
//      writes its own); files this run did not write (the user's own, those another program put
//      there during the run, or those of an earlier run that stopped before its manifest) are
//      listed under "other_files", so nothing in the folder is unaccounted for and a later run
//      removes only what a voxflow run wrote.
// A folder without manifest.json holds no finished run (stopped, failed, or running).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "src/core/mpi_context.hpp"

namespace voxflow::io {

/// What a folder held when a run began: relative path -> (size, mtime ns, inode).
struct FolderSnapshot {
  std::string dir;
  std::string manifest_name;  // "manifest.json", or "<prefix>_manifest.json" for prefixed runs
  struct Entry {
    std::uintmax_t size = 0;
    long long mtime_ns = 0;
    std::uintmax_t inode = 0;
  };
  std::map<std::string, Entry> files;
};

/// Collective (rank 0 works, every rank gets its verdict). Step 1 above. `keep` lists relative
/// names never removed (the checkpoint a --resume continues from). Creates `dir` when missing.
/// `prefix` ("" or "<prefix>_"): runs that prefix their file names (voxflow tia --prefix) share a
/// folder; each has its own "<prefix>manifest.json" and removes only the files that one lists.
/// Throws InputError when `dir` cannot be created or an earlier manifest cannot be parsed (it is
/// then left alone: remove it by hand), InternalError when a listed file cannot be removed.
FolderSnapshot begin_output_folder(const std::string& dir, const std::vector<std::string>& keep, const Comm& comm,
                                   const std::string& prefix = "");

/// Collective (rank 0 writes). Step 3 above: writes "<dir>/<prefix>manifest.json" with the command, the run
/// id and the files (relative paths, bytes, sha256) this run wrote (its provenance.json
/// included), and "other_files" for the rest (other manifests among them). Files named "*.tmp-*"
/// (temporaries of a run in progress) are never listed. Throws InternalError when a file cannot be read or the manifest written.
void write_output_manifest(const FolderSnapshot& before, const std::string& command, const Comm& comm);

/// Name of the manifest in an output folder.
constexpr const char* kManifestName = "manifest.json";

}  // namespace voxflow::io
