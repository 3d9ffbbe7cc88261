#pragma once
// Boost.Program_options parsing shared by the sub-commands.
#include <boost/program_options.hpp>
#include <string>

#include "apps/commands.hpp"

namespace voxflow::apps {

/// Parse `args` against `desc` (and `positional`, if given) into `vm`. Throws UsageError
/// "<command>: <what boost says>" for an unknown option, a missing value or a bad number.
/// Returns false when --help was asked: the help text is then printed by rank 0 and the command
/// should return 0.
bool parse_command_line(const Args& args, const boost::program_options::options_description& desc,
                        boost::program_options::variables_map& vm, const std::string& command, const Comm& comm,
                        const boost::program_options::positional_options_description* positional = nullptr);

}  // namespace voxflow::apps
