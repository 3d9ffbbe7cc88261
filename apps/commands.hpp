#pragma once
// The voxflow sub-commands: one source file each (apps/cmd_<name>.cpp).
// Each takes the arguments after the sub-command name and returns the exit code; errors are
// thrown as voxflow::Error and turned into one line + exit code by main().
#include <string>
#include <vector>

#include "src/core/mpi_context.hpp"

namespace voxflow::apps {

using Args = std::vector<std::string>;

int cmd_info(const Args& args, const Comm& comm);
int cmd_phantom(const Args& args, const Comm& comm);
int cmd_kinetics(const Args& args, const Comm& comm);
int cmd_overlay(const Args& args, const Comm& comm);
int cmd_tia(const Args& args, const Comm& comm);
int cmd_tia_roi(const Args& args, const Comm& comm);
int cmd_vessel(const Args& args, const Comm& comm);
int cmd_vessel_phantom(const Args& args, const Comm& comm);
/// voxflow cohort: runs without MPI (main() calls it before MPI_Init); returns the exit code and
/// prints errors itself.
int cohort_main(const Args& args);

/// the full command line, for summaries and HDF5 attributes
const std::string& command_line();
void set_command_line(int argc, char** argv);

}  // namespace voxflow::apps
