#include "io/config_file.hpp"

#include <cmath>
#include <filesystem>
#include <sstream>

#include "src/core/error.hpp"

namespace fs = std::filesystem;

namespace voxflow::io {

ConfigSection::ConfigSection(const YAML::Node& node, std::string where, std::string source, std::string docs)
    : node_(node), where_(std::move(where)), source_(std::move(source)), docs_(std::move(docs)) {
  if (node_ && !node_.IsNull() && !node_.IsMap()) fail(where_, "must be a mapping of keys");
}

void ConfigSection::fail(const std::string& key, const std::string& what) const {
  throw InputError(source_ + ": " + key + " " + what);
}

std::string ConfigSection::key(const std::string& k) const { return where_.empty() ? k : where_ + "." + k; }

YAML::Node ConfigSection::get(const std::string& k) {
  used_.insert(k);
  if (!node_ || !node_.IsMap()) return YAML::Node();
  return node_[k];
}

bool ConfigSection::has(const std::string& k) {
  YAML::Node v = get(k);
  return v && !v.IsNull();
}

template <class T>
void ConfigSection::read_scalar(const std::string& k, T& out, const char* type) {
  YAML::Node v = get(k);
  if (!v || v.IsNull()) return;
  if (!v.IsScalar()) fail(key(k), std::string("must be ") + type);
  try {
    out = v.as<T>();
  } catch (const YAML::Exception&) {
    fail(key(k), std::string("must be ") + type + " (got '" + v.Scalar() + "')");
  }
}

void ConfigSection::read_bool(const std::string& k, bool& out) { read_scalar(k, out, "true or false"); }
void ConfigSection::read_double(const std::string& k, double& out) {
  read_scalar(k, out, "a number");
  if (!std::isfinite(out)) fail(key(k), "must be a finite number");
}
void ConfigSection::read_int(const std::string& k, int& out) { read_scalar(k, out, "an integer"); }
void ConfigSection::read_int64(const std::string& k, long long& out) { read_scalar(k, out, "an integer"); }
void ConfigSection::read_uint64(const std::string& k, unsigned long long& out) {
  read_scalar(k, out, "an integer >= 0");
}
void ConfigSection::read_string(const std::string& k, std::string& out) { read_scalar(k, out, "a string"); }

void ConfigSection::read_number_list(const std::string& k, std::vector<double>& out) {
  YAML::Node n = get(k);
  if (!n || n.IsNull()) return;
  if (!n.IsSequence()) fail(key(k), "must be a list of numbers");
  out.clear();
  for (const auto& x : n) {
    try {
      out.push_back(x.as<double>());
    } catch (const YAML::Exception&) {
      fail(key(k), "must be a list of numbers (got '" + (x.IsScalar() ? x.Scalar() : std::string("a list")) + "')");
    }
  }
}

void ConfigSection::read_string_list(const std::string& k, std::vector<std::string>& out) {
  YAML::Node n = get(k);
  if (!n || n.IsNull()) return;
  if (!n.IsSequence()) fail(key(k), "must be a list of strings");
  out.clear();
  for (const auto& x : n) {
    if (!x.IsScalar()) fail(key(k), "must be a list of strings");
    out.push_back(x.Scalar());
  }
}

ConfigSection ConfigSection::sub(const std::string& k) { return ConfigSection(get(k), key(k), source_, docs_); }

void ConfigSection::finish() const {
  if (!node_ || !node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();
    if (!used_.count(k)) fail(key(k), "is not a known setting (see " + docs_ + " for the keys)");
  }
}

namespace {

/// the node at a dotted path, or an undefined node
YAML::Node find_path(YAML::Node root, const std::string& dotted) {
  // YAML::Node's operator= assigns through the reference: rebind with reset() instead
  std::stringstream ss(dotted);
  YAML::Node n;
  n.reset(root);
  for (std::string part; std::getline(ss, part, '.');) {
    if (!n || !n.IsMap()) return YAML::Node();
    YAML::Node next = n[part];
    n.reset(next);
  }
  return n;
}

void resolve_paths(YAML::Node root, const fs::path& base, const std::vector<std::string>& path_keys) {
  auto fix = [&](YAML::Node n) {
    if (n && n.IsScalar() && !n.Scalar().empty()) {
      fs::path p(n.Scalar());
      if (p.is_relative()) n = (base / p).lexically_normal().string();
    }
  };
  for (const auto& k : path_keys) {
    YAML::Node n = find_path(root, k);
    if (!n) continue;
    if (n.IsSequence())
      for (auto it : n) fix(it);
    else
      fix(n);
  }
}

void apply_override(YAML::Node& root, const std::string& assignment, const std::string& command) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError(command + ": --set expects key.path=value (got '" + assignment + "')");
  const std::string path = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw UsageError(command + ": --set " + path + ": the value is not valid YAML (" + e.msg + ")");
  }
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) {
    if (p.empty()) throw UsageError(command + ": --set " + path + ": empty key in the dotted path");
    parts.push_back(p);
  }
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (!next || !next.IsMap()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    }
    chain.push_back(next);
  }
  chain.back()[parts.back()] = value;
}

}  // namespace

std::string config_source(const std::string& path) { return path.empty() ? std::string("command line") : path; }

YAML::Node load_config_tree(const std::string& path, const std::vector<std::string>& overrides, const std::string& command,
                            const std::vector<std::string>& path_keys) {
  YAML::Node root(YAML::NodeType::Map);
  if (!path.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw InputError(path + ": configuration file not found");
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::ParserException& e) {
      throw InputError(path + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
    } catch (const YAML::Exception& e) {
      throw InputError(path + ": cannot read the configuration: " + e.msg);
    }
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) throw InputError(path + ": the configuration must be a mapping of keys");
    resolve_paths(root, fs::absolute(path).parent_path(), path_keys);
  }
  for (const auto& o : overrides) apply_override(root, o, command);
  return root;
}

std::string yaml_text(const YAML::Node& node) {
  YAML::Emitter e;
  e << node;
  return e.c_str();
}

}  // namespace voxflow::io
