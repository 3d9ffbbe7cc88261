#pragma once
// Strict YAML configuration for every command (`--config FILE`, `--set key.path=value`):
// yaml-cpp reads the file, overrides are applied on top, and each command reads its keys through
// ConfigSection, which reports a key it does not know or a value of the wrong type as one line
// naming the file and the dotted key.
#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

namespace voxflow::io {

/// Reads the keys of one YAML mapping, remembering which were read, so that finish() can report
/// the rest as unknown. `where` is the dotted path of the mapping ("models"; "" at the top),
/// `source` the file name (or "command line") used in every message. All errors are InputError:
/// "<source>: <dotted key> <what is wrong>".
class ConfigSection {
 public:
  ConfigSection(const YAML::Node& node, std::string where, std::string source, std::string docs);
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  /// dotted path of key k in this section
  std::string key(const std::string& k) const;
  /// the value of k (an undefined node when absent); marks k as known
  YAML::Node get(const std::string& k);
  /// k is present and not null
  bool has(const std::string& k);
  void read_bool(const std::string& k, bool& out);
  /// a finite number
  void read_double(const std::string& k, double& out);
  void read_int(const std::string& k, int& out);
  void read_int64(const std::string& k, long long& out);
  void read_uint64(const std::string& k, unsigned long long& out);
  void read_string(const std::string& k, std::string& out);
  /// a YAML sequence of numbers / strings (absent: unchanged)
  void read_number_list(const std::string& k, std::vector<double>& out);
  void read_string_list(const std::string& k, std::vector<std::string>& out);
  /// the mapping under k as a section of its own
  ConfigSection sub(const std::string& k);
  /// throws for the first key of this mapping that was never read
  void finish() const;
  const std::string& source() const { return source_; }

 private:
  template <class T>
  void read_scalar(const std::string& k, T& out, const char* type);
  YAML::Node node_;
  std::string where_, source_, docs_;
  std::set<std::string> used_;
};

/// The configuration tree of one run: the YAML file at `path` (when not empty; an empty file is an
/// empty mapping), then each override "dotted.key=value" (value parsed as YAML: "3",
/// "[3600, 86400]", "true", "\"a b\""), creating mappings on the way. Relative paths under the
/// dotted keys `path_keys` (a scalar or a list of scalars) are resolved against the file's folder;
/// those given as overrides stay relative to the working directory.
/// Throws InputError "<path>: ..." for a missing or unreadable file, invalid YAML (with its line)
/// or a top level that is not a mapping; UsageError "<command>: --set ..." for a malformed override.
YAML::Node load_config_tree(const std::string& path, const std::vector<std::string>& overrides, const std::string& command,
                            const std::vector<std::string>& path_keys);

/// "path" or "command line" when path is empty: the source named in messages.
std::string config_source(const std::string& path);

/// YAML text of a node (block style), for summaries and HDF5 attributes.
std::string yaml_text(const YAML::Node& node);

}  // namespace voxflow::io
