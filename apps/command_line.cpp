#include "apps/command_line.hpp"

#include <iostream>
#include <sstream>

#include "io/config_file.hpp"
#include "src/core/error.hpp"

namespace po = boost::program_options;

namespace voxflow::apps {

bool parse_command_line(const Args& args, const po::options_description& desc, po::variables_map& vm,
                        const std::string& command, const Comm& comm,
                        const po::positional_options_description* positional) {
  try {
    po::command_line_parser parser(args);
    parser.options(desc);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(command + ": " + e.what());
  }
  if (vm.count("help")) {
    if (comm.is_root()) std::cout << desc << "\n";
    return false;
  }
  return true;
}

void add_config_file_options(po::options_description& desc) {
  desc.add_options()                                                                                   //
      ("config", po::value<std::string>(), "YAML file whose keys are this command's long options ('_' for '-')")
      ("set", po::value<std::vector<std::string>>()->composing(), "override one key: --set key=value");
}

namespace {

/// The tokens "--name value..." that one YAML key stands for, checked against `desc`.
void key_to_tokens(const std::string& key, const YAML::Node& value, const po::options_description& desc,
                   const std::string& source, std::vector<std::string>& tokens) {
  std::string name = key;
  for (char& c : name)
    if (c == '_') c = '-';
  const po::option_description* d = desc.find_nothrow(name, false);
  if (!d || name == "config" || name == "set" || name == "help")
    throw InputError(source + ": " + key + " is not a known setting (see the command's --help)");
  const bool is_switch = d->semantic()->max_tokens() == 0;
  if (is_switch) {
    bool on = false;
    try {
      on = value.as<bool>();
    } catch (const YAML::Exception&) {
      throw InputError(source + ": " + key + " must be true or false");
    }
    if (on) tokens.push_back("--" + name);
    return;
  }
  if (value.IsNull()) return;
  tokens.push_back("--" + name);
  if (value.IsSequence()) {
    if (d->semantic()->max_tokens() <= 1) throw InputError(source + ": " + key + " takes one value, not a list");
    for (const auto& x : value) {
      if (!x.IsScalar()) throw InputError(source + ": " + key + " must be a list of values");
      tokens.push_back(x.Scalar());
    }
  } else if (value.IsScalar()) {
    tokens.push_back(value.Scalar());
  } else {
    throw InputError(source + ": " + key + " must be a value, not a mapping");
  }
}

/// Parses `tokens` against `desc` into `vm` (after what is stored there: earlier values win).
void store_tokens(const std::vector<std::string>& tokens, const po::options_description& desc, po::variables_map& vm,
                  const std::string& source) {
  try {
    po::store(po::command_line_parser(tokens).options(desc).run(), vm);
  } catch (const po::error& e) {
    throw InputError(source + ": " + e.what());
  }
}

}  // namespace

bool parse_command_line_and_config(const Args& args, const po::options_description& desc, po::variables_map& vm,
                                   const std::string& command, const Comm& comm, const std::vector<std::string>& path_keys,
                                   const po::positional_options_description* positional) {
  if (!parse_command_line(args, desc, vm, command, comm, positional)) return false;
  const std::string path = vm.count("config") ? vm["config"].as<std::string>() : "";
  const std::vector<std::string> sets = vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (path.empty() && sets.empty()) return true;
  collective_check(comm, [&] {
    // --set first (it wins over the file), each as its own one-key tree
    for (const auto& s : sets) {
      const YAML::Node one = io::load_config_tree("", {s}, command, {});
      std::vector<std::string> tokens;
      for (const auto& kv : one) key_to_tokens(kv.first.Scalar(), kv.second, desc, "command line", tokens);
      store_tokens(tokens, desc, vm, "command line");
    }
    if (!path.empty()) {
      const YAML::Node root = io::load_config_tree(path, {}, command, path_keys);
      std::vector<std::string> tokens;
      for (const auto& kv : root) key_to_tokens(kv.first.Scalar(), kv.second, desc, path, tokens);
      store_tokens(tokens, desc, vm, path);
    }
  });
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(command + ": " + e.what());
  }
  return true;
}

std::string yaml_quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

std::vector<std::string> config_overrides(const po::variables_map& vm, const std::map<std::string, std::string>& keys) {
  std::vector<std::string> out;
  for (const auto& [name, value] : vm) {
    if (name == "help" || name == "config" || name == "set" || value.defaulted() || value.empty()) continue;
    const auto it = keys.find(name);
    std::string key = it != keys.end() ? it->second : name;
    if (key.empty()) continue;
    if (it == keys.end())
      for (char& c : key)
        if (c == '-') c = '_';
    const boost::any& a = value.value();
    if (const bool* b = boost::any_cast<bool>(&a)) {
      if (!*b) continue;  // a switch not given
      if (it == keys.end() && key.rfind("no_", 0) == 0) out.push_back(key.substr(3) + "=false");
      else out.push_back(key + "=true");
    } else if (const std::string* s = boost::any_cast<std::string>(&a)) {
      out.push_back(key + "=" + yaml_quote(*s));
    } else if (const int* i = boost::any_cast<int>(&a)) {
      out.push_back(key + "=" + std::to_string(*i));
    } else if (const double* d = boost::any_cast<double>(&a)) {
      std::ostringstream v;
      v.precision(17);
      v << *d;
      out.push_back(key + "=" + v.str());
    } else if (const auto* l = boost::any_cast<std::vector<std::string>>(&a)) {
      std::string v = "[";
      for (size_t k = 0; k < l->size(); ++k) v += (k ? ", " : "") + yaml_quote((*l)[k]);
      out.push_back(key + "=" + v + "]");
    } else {
      throw InternalError("option --" + name + " has a type the configuration cannot take");
    }
  }
  if (vm.count("set"))
    for (const auto& s : vm["set"].as<std::vector<std::string>>()) out.push_back(s);
  return out;
}

}  // namespace voxflow::apps
