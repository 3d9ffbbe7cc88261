#include "src/pipelines/cohort_manifest.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "io/file_digest.hpp"
#include "src/core/error.hpp"
#include "src/core/sha256.hpp"
#include "voxflow/version.hpp"

namespace fs = std::filesystem;

namespace voxflow::pipelines {
namespace {

/// One CSV record (RFC 4180 quoting; a quoted field may not span lines here).
std::vector<std::string> split_csv(const std::string& line, const std::string& where) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"' && cur.find_first_not_of(" \t") == std::string::npos) {
      quoted = was_quoted = true;
      cur.clear();
    } else if (c == ',') {
      out.push_back(was_quoted ? cur : cur);
      cur.clear();
      was_quoted = false;
    } else if (c != '\r') {
      cur += c;
    }
  }
  if (quoted) throw InputError(where + ": unterminated quote");
  out.push_back(cur);
  for (auto& f : out) {
    const auto b = f.find_first_not_of(" \t"), e = f.find_last_not_of(" \t");
    f = b == std::string::npos ? std::string() : f.substr(b, e - b + 1);
  }
  return out;
}

/// Options split on blanks; "..." groups.
std::vector<std::string> split_options(const std::string& s, const std::string& where) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (char c : s) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      if (any) out.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (quoted) throw InputError(where + ": unterminated quote in the options");
  if (any) out.push_back(cur);
  return out;
}

bool valid_subject(const std::string& s) {
  if (s.empty() || s == "." || s == ".." || s[0] == '-' || s[0] == '.') return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Adds the SHA-256 of every file of `path` (and of the files a YAML file names) to `digests`.
void add_digests(const std::string& path, std::vector<std::string>& digests, int depth = 0) {
  for (const auto& [file, digest] : io::sha256_files(path)) digests.push_back(digest);
  if (depth > 0 || !(ends_with(path, ".yaml") || ends_with(path, ".yml"))) return;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& ex) {
    throw InputError(path + ": not a YAML file (" + ex.msg + ")");
  }
  const fs::path base = fs::path(path).parent_path();
  std::set<std::string> named;
  std::function<void(const YAML::Node&, const std::string&)> walk = [&](const YAML::Node& n, const std::string& key) {
    if (key == "output_dir" || key == "output" || key == "prefix") return;
    if (n.IsScalar()) {
      const std::string v = n.as<std::string>();
      if (v.empty() || v.size() > 4096) return;
      const fs::path p = fs::path(v).is_absolute() ? fs::path(v) : base / v;
      std::error_code ec;
      if (fs::exists(p, ec)) named.insert(p.lexically_normal().string());
    } else if (n.IsSequence()) {
      for (const auto& e : n) walk(e, key);
    } else if (n.IsMap()) {
      for (const auto& kv : n) walk(kv.second, kv.first.as<std::string>());
    }
  };
  walk(root, "");
  for (const auto& p : named) add_digests(p, digests, depth + 1);
}

}  // namespace

CohortManifest read_cohort_manifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot read the cohort manifest");
  CohortManifest m;
  std::error_code ec;
  m.path = fs::absolute(path, ec).lexically_normal().string();
  const fs::path dir = fs::path(m.path).parent_path();
  auto absolute = [&](const std::string& p) { return (fs::path(p).is_absolute() ? fs::path(p) : dir / p).lexically_normal().string(); };
  std::string line;
  int lineno = 0;
  std::map<std::string, int> col;
  std::set<std::string> seen;
  while (std::getline(in, line)) {
    ++lineno;
    const std::string where = path + ":" + std::to_string(lineno);
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    const auto f = split_csv(line, where);
    if (col.empty()) {
      for (size_t i = 0; i < f.size(); ++i) col[f[i]] = static_cast<int>(i);
      for (const char* k : {"subject", "command", "inputs"})
        if (!col.count(k))
          throw InputError(where + ": the header must name the columns subject,command,inputs,options (no '" + k + "')");
      continue;
    }
    auto field = [&](const char* k) {
      const auto it = col.find(k);
      return it == col.end() || it->second >= static_cast<int>(f.size()) ? std::string() : f[static_cast<size_t>(it->second)];
    };
    CohortEntry e;
    e.index = static_cast<int>(m.entries.size());
    e.line = lineno;
    e.subject = field("subject");
    e.command = field("command");
    if (!valid_subject(e.subject))
      throw InputError(where + ": subject '" + e.subject + "' is not a valid id (letters, digits, '.', '_', '-')");
    if (e.command != "kinetics" && e.command != "tia" && e.command != "vessel")
      throw InputError(where + ": command '" + e.command + "' is not one of kinetics, tia, vessel");
    if (!seen.insert(e.subject + "/" + e.command).second)
      throw InputError(where + ": subject '" + e.subject + "' with command " + e.command + " appears twice");
    std::stringstream ins(field("inputs"));
    std::string one;
    while (std::getline(ins, one, ';')) {
      const auto b = one.find_first_not_of(" \t"), en = one.find_last_not_of(" \t");
      if (b == std::string::npos) continue;
      e.inputs.push_back(absolute(one.substr(b, en - b + 1)));
    }
    if (e.inputs.empty()) throw InputError(where + ": subject " + e.subject + " has no input");
    if (e.inputs.size() > 1)
      throw InputError(where + ": " + e.command + " takes one input per row (give masks and other files as options)");
    for (auto& tok : split_options(field("options"), where)) {
      if (tok == "-o" || tok == "--output" || tok.rfind("--output=", 0) == 0)
        throw InputError(where + ": the options may not set the output folder (the cohort writes OUT/<subject>/<command>)");
      if (!tok.empty() && tok[0] != '-' && tok.find('=') == std::string::npos && fs::exists(absolute(tok), ec))
        tok = absolute(tok);
      e.options.push_back(tok);
    }
    m.entries.push_back(std::move(e));
  }
  if (col.empty()) throw InputError(path + ": empty cohort manifest (no header line subject,command,inputs,options)");
  if (m.entries.empty()) throw InputError(path + ": the cohort manifest has no subject");
  return m;
}

std::string cohort_output_dir(const std::string& out_root, const CohortEntry& e) {
  return (fs::path(out_root) / e.subject / e.command).string();
}

std::vector<std::string> cohort_arguments(const CohortEntry& e, const std::string& out_dir) {
  std::vector<std::string> a{e.command};
  const std::string& in = e.inputs.front();
  if (e.command == "kinetics") {
    a.push_back(ends_with(in, ".nii") || ends_with(in, ".nii.gz") ? "--nifti" : "--dicom");
    a.push_back(in);
    a.insert(a.end(), {"-o", out_dir, "--no-progress"});
  } else if (e.command == "tia") {
    a.insert(a.end(), {"--config", in, "-o", out_dir, "--no-progress"});
  } else {
    a.insert(a.end(), {"-i", in, "-o", out_dir});
  }
  a.insert(a.end(), e.options.begin(), e.options.end());
  return a;
}

std::string cohort_summary_file(const CohortEntry& e) { return e.command == "tia" ? "tia_summary.yaml" : "summary.yaml"; }

std::string cohort_key(const CohortEntry& e) {
  nlohmann::json j;
  j["voxflow_version"] = kVersion;
  j["command"] = e.command;
  std::vector<std::string> digests;
  for (const auto& in : e.inputs) add_digests(in, digests);
  j["inputs"] = digests;
  nlohmann::json opts = nlohmann::json::array();
  std::error_code ec;
  for (const auto& tok : e.options) {
    if (!tok.empty() && tok[0] == '/' && fs::exists(tok, ec)) {
      std::vector<std::string> d;
      add_digests(tok, d);
      opts.push_back(nlohmann::json{{"file", d}});
    } else {
      opts.push_back(tok);
    }
  }
  j["options"] = opts;
  return sha256_hex(j.dump());
}

}  // namespace voxflow::pipelines
