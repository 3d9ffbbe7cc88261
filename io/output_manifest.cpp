#include "io/output_manifest.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "src/core/error.hpp"
#include "src/core/sha256.hpp"

namespace fs = std::filesystem;

namespace voxflow::io {
namespace {

bool is_temporary(const std::string& rel) { return rel.find(".tmp-") != std::string::npos; }

FolderSnapshot::Entry stat_entry(const fs::path& p) {
  struct stat st {};
  FolderSnapshot::Entry e;
  if (::stat(p.c_str(), &st) != 0) return e;
  e.size = static_cast<std::uintmax_t>(st.st_size);
  e.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  e.inode = static_cast<std::uintmax_t>(st.st_ino);
  return e;
}

/// Every regular file under dir (recursive), relative paths with '/', sorted.
std::map<std::string, FolderSnapshot::Entry> list_files(const fs::path& dir) {
  std::map<std::string, FolderSnapshot::Entry> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    out[fs::relative(it->path(), dir).generic_string()] = stat_entry(it->path());
  }
  return out;
}

std::string sha256_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw InternalError("manifest: cannot read " + p.string());
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) h.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw InternalError("manifest: error reading " + p.string());
  return h.hex_digest();
}

/// Removes folders left empty under dir (the dicom/ of an earlier run), deepest first.
void remove_empty_subfolders(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> subdirs;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_directory(ec) && !it->is_symlink(ec)) subdirs.push_back(it->path());
  for (auto d = subdirs.rbegin(); d != subdirs.rend(); ++d)
    if (fs::is_empty(*d, ec)) fs::remove(*d, ec);
}

}  // namespace

FolderSnapshot begin_output_folder(const std::string& dir, const std::vector<std::string>& keep, const Comm& comm,
                                   const std::string& prefix) {
  FolderSnapshot snap;
  snap.dir = dir;
  snap.manifest_name = prefix + kManifestName;
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
      throw InputError("cannot create output folder " + dir + (ec ? ": " + ec.message() : std::string(": not a folder")));
    const fs::path manifest = fs::path(dir) / snap.manifest_name;
    if (fs::exists(manifest, ec)) {
      nlohmann::json j;
      try {
        std::ifstream in(manifest);
        j = nlohmann::json::parse(in);
      } catch (const std::exception& e) {
        throw InputError(manifest.string() + " is not a voxflow manifest (" + e.what() + "); remove it to reuse the folder");
      }
      // the folder no longer holds a finished run from here on
      if (!fs::remove(manifest, ec) || ec)
        throw InternalError("cannot remove " + manifest.string() + ": " + ec.message());
      const fs::path root = fs::weakly_canonical(fs::path(dir), ec);
      if (j.contains("files") && j["files"].is_array())
        for (const auto& f : j["files"]) {
          if (!f.is_object() || !f.contains("path") || !f["path"].is_string()) continue;
          const std::string rel = f["path"].get<std::string>();
          bool kept = false;
          for (const auto& k : keep) kept = kept || k == rel;
          if (kept) continue;
          // only files inside the folder, whatever the manifest says
          const fs::path p = fs::weakly_canonical(fs::path(dir) / rel, ec);
          const std::string ps = p.string(), rs = root.string() + "/";
          if (ps.compare(0, rs.size(), rs) != 0) continue;
          std::error_code rec;
          fs::remove(p, rec);
          if (rec) throw InternalError("cannot remove " + ps + " of an earlier run: " + rec.message());
        }
      remove_empty_subfolders(dir);
    }
    snap.files = list_files(dir);
  });
  return snap;
}

void write_output_manifest(const FolderSnapshot& before, const std::string& command, const Comm& comm) {
  // the outputs every rank wrote under its temporary names (some maps are renamed into place by
  // other ranks than 0), one path per line, gathered on rank 0 (collective: outside the check)
  std::string mine;
  for (const std::string& p : claimed_paths_under(before.dir)) mine += p + '\n';
  const std::string claimed_lines = comm.gather_concat(mine);
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    std::set<std::string> claimed;
    for (std::size_t at = 0; at < claimed_lines.size();) {
      const std::size_t nl = claimed_lines.find('\n', at);
      claimed.insert(claimed_lines.substr(at, nl - at));
      at = nl + 1;
    }
    const fs::path dir(before.dir);
    nlohmann::json files = nlohmann::json::array(), others = nlohmann::json::array();
    for (const auto& [rel, now] : list_files(dir)) {
      if (rel == before.manifest_name || is_temporary(rel)) continue;
      auto was = before.files.find(rel);
      const bool changed = was == before.files.end() || was->second.size != now.size ||
                           was->second.mtime_ns != now.mtime_ns || was->second.inode != now.inode;
      // the run's own: changed since the run began and written under this run's temporary name
      // first; a file another program added meanwhile is listed with the others, so a later run
      // never removes it
      if (changed && claimed.count(output_path_key((dir / rel).string())) != 0) {
        files.push_back({{"path", rel}, {"bytes", now.size}, {"sha256", sha256_of(dir / rel)}});
      } else {
        others.push_back({{"path", rel}, {"bytes", now.size}});
      }
    }
    nlohmann::json j;
    j["format"] = "voxflow output manifest 1";
    j["command"] = command;
    j["run_id"] = run_id();
    j["mpi_ranks"] = comm.size();
    j["files"] = files;
    j["other_files"] = others;
    write_text_atomic((dir / before.manifest_name).string(), j.dump(2) + "\n");
  });
}

}  // namespace voxflow::io
