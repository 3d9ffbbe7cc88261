#include "apps/command_line.hpp"

#include <iostream>
#include <sstream>

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
