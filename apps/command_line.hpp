#pragma once
// Boost.Program_options parsing shared by the sub-commands.
#include <boost/program_options.hpp>
#include <map>
#include <string>
#include <vector>

#include "apps/commands.hpp"

namespace voxflow::apps {

/// Parse `args` against `desc` (and `positional`, if given) into `vm`. Throws UsageError
/// "<command>: <what boost says>" for an unknown option, a missing value or a bad number.
/// Returns false when --help was asked: the help text is then printed by rank 0 and the command
/// should return 0.
bool parse_command_line(const Args& args, const boost::program_options::options_description& desc,
                        boost::program_options::variables_map& vm, const std::string& command, const Comm& comm,
                        const boost::program_options::positional_options_description* positional = nullptr);

/// Adds `--config FILE` (options of this command as YAML keys) and `--set key=value` to `desc`.
void add_config_file_options(boost::program_options::options_description& desc);

/// parse_command_line, then the options of the YAML file given with --config and every --set:
/// each top-level key is a long option of `desc` with '_' for '-' (a switch takes true or false;
/// a list gives a multi-token option); options on the command line win over --set, which wins
/// over the file. Relative paths of the file under `path_keys` are taken from the file's folder.
/// Throws InputError "<file>: <key> is not a known setting ..." or "<file>: <key>: <what is wrong
/// with the value>" (the source is "command line" for --set); UsageError as parse_command_line.
/// Returns false when --help was asked.
bool parse_command_line_and_config(const Args& args, const boost::program_options::options_description& desc,
                                   boost::program_options::variables_map& vm, const std::string& command,
                                   const Comm& comm, const std::vector<std::string>& path_keys = {},
                                   const boost::program_options::positional_options_description* positional = nullptr);

/// The options given on the command line as configuration overrides "key=value" (applied after
/// the `--config` file, before `--set`): key = keys[option] when listed, else the option name with
/// '_' for '-'; a switch "no-X" (bool) gives "X=false", any other switch "key=true" when given;
/// strings are quoted for YAML, lists become flow sequences. "help", "config", "set" and options
/// mapped to "" are skipped. Then every `--set` value, in order.
std::vector<std::string> config_overrides(const boost::program_options::variables_map& vm,
                                          const std::map<std::string, std::string>& keys = {});

/// A YAML double-quoted scalar (paths with spaces, colons, '#').
std::string yaml_quote(const std::string& s);

}  // namespace voxflow::apps
