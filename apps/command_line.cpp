#include "apps/command_line.hpp"

#include <iostream>

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

}  // namespace voxflow::apps
