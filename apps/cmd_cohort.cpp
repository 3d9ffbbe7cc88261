// voxflow cohort: submit | status | collect | run a cohort manifest (src/pipelines/cohort_*), plus
// the two steps the SLURM array job calls (task, task-end). Runs without MPI: main() dispatches here
// before MPI_Init, so `voxflow cohort run` can start mpirun and the array job's shell can call it.
#include <yaml-cpp/yaml.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "apps/commands.hpp"
#include "src/core/error.hpp"
#include "src/pipelines/cohort_collect.hpp"
#include "src/pipelines/cohort_manifest.hpp"
#include "src/pipelines/cohort_run.hpp"
#include "src/pipelines/cohort_state.hpp"

namespace po = boost::program_options;

namespace voxflow::apps {
namespace {

constexpr int kUpToDate = 3;  // `cohort task`: nothing to do

po::options_description cohort_options() {
  po::options_description d(
      "voxflow cohort: process a cohort manifest, skipping subjects whose outputs are up to date\n\n"
      "usage: voxflow cohort run     MANIFEST -o OUT [-j N] [--launcher \"mpirun -np 2\"] [--force]\n"
      "       voxflow cohort submit  MANIFEST -o OUT [--dry-run] [--ntasks N] [--cpus-per-task N] [--time T] ...\n"
      "       voxflow cohort status  MANIFEST -o OUT\n"
      "       voxflow cohort collect MANIFEST -o OUT\n\n"
      "MANIFEST: CSV with the header subject,command,inputs,options (docs/cohort.md). Outputs go to\n"
      "OUT/<subject>/<command>/ with provenance.json; a subject is skipped when its outputs are complete\n"
      "and carry the content key of its inputs, options and the voxflow version. Every option is also a\n"
      "key of a YAML file given with --config ('_' for '-'); the command line wins over --set, --set\n"
      "over the file.\n\noptions");
  d.add_options()                                                                                           //
      ("help,h", "show this help")                                                                          //
      ("config,c", po::value<std::string>(), "YAML file with the options below as keys")                    //
      ("set", po::value<std::vector<std::string>>()->composing(), "override one key: --set jobs=2")         //
      ("output,o", po::value<std::string>(), "the cohort's output folder OUT")                              //
      ("force", po::bool_switch(), "redo every subject, up to date or not")                                 //
      ("jobs,j", po::value<int>()->default_value(1), "run: subjects processed at once")                     //
      ("launcher", po::value<std::string>()->default_value(""),
       "run: command that starts the ranks of one subject, e.g. \"mpirun -np 2\" (default: one process)")  //
      ("dry-run", po::bool_switch(), "submit: print the sbatch lines, submit nothing")                      //
      ("throttle", po::value<int>()->default_value(8), "submit: array tasks running at once (%N)")          //
      ("ntasks", po::value<int>()->default_value(2), "submit: MPI ranks per subject")                       //
      ("cpus-per-task", po::value<int>()->default_value(1), "submit: Kokkos threads per rank")             //
      ("time", po::value<std::string>()->default_value("01:00:00"), "submit: time limit per allocation")  //
      ("partition", po::value<std::string>()->default_value(""), "submit: SLURM partition")                 //
      ("account", po::value<std::string>()->default_value(""), "submit: SLURM account")                     //
      ("sbatch-option", po::value<std::vector<std::string>>()->composing(), "submit: one more sbatch option for the array (repeatable)")
      ("jobscripts", po::value<std::string>()->default_value(""),
       "submit: folder with cohort_array.sbatch (default: beside the installed binary, or the source tree)")
      ("index", po::value<int>(), "task, task-end: the manifest row (array task id)")                       //
      ("exit-code", po::value<int>(), "task-end: the run's exit code")                                      //
      ("action", po::value<std::string>(), "submit | status | collect | run")                               //
      ("manifest", po::value<std::string>(), "the cohort manifest (CSV)");
  return d;
}

/// tokens "--key=value" for the YAML file's top-level keys (lists: one token per element)
std::vector<std::string> yaml_tokens(const YAML::Node& y, const std::string& where) {
  std::vector<std::string> t;
  if (!y.IsMap()) throw InputError(where + ": expected a map of options");
  for (const auto& kv : y) {
    std::string k = kv.first.as<std::string>();
    for (auto& c : k)
      if (c == '_') c = '-';
    if (kv.second.IsSequence())
      for (const auto& e : kv.second) t.push_back("--" + k + "=" + e.as<std::string>());
    else
      t.push_back("--" + k + "=" + kv.second.as<std::string>());
  }
  return t;
}

void store_tokens(const std::vector<std::string>& tokens, const po::options_description& d, po::variables_map& vm,
                  const std::string& where) {
  try {
    po::store(po::command_line_parser(tokens).options(d).style(po::command_line_style::unix_style).run(), vm);
  } catch (const po::error& e) {
    throw InputError(where + ": " + e.what());
  }
}

}  // namespace

int cohort_main(const Args& args) {
  try {
    const po::options_description d = cohort_options();
    po::positional_options_description pos;
    pos.add("action", 1).add("manifest", 1);
    po::variables_map vm;
    try {
      po::store(po::command_line_parser(args).options(d).positional(pos).run(), vm);
    } catch (const po::error& e) {
      throw UsageError(std::string("cohort: ") + e.what());
    }
    if (vm.count("help")) {
      std::cout << d << "\n";
      return 0;
    }
    // the command line first, then --set, then the file: po::store keeps the first value stored
    if (vm.count("set"))
      for (const auto& s : vm["set"].as<std::vector<std::string>>()) {
        const auto eq = s.find('=');
        if (eq == std::string::npos) throw UsageError("cohort: --set expects key=value, got '" + s + "'");
        store_tokens(yaml_tokens(YAML::Load(s.substr(0, eq) + ": " + s.substr(eq + 1)), "command line"), d, vm,
                     "command line (--set)");
      }
    if (vm.count("config")) {
      const std::string f = vm["config"].as<std::string>();
      YAML::Node y;
      try {
        y = YAML::LoadFile(f);
      } catch (const YAML::Exception& e) {
        throw InputError(f + ": " + e.msg);
      }
      store_tokens(yaml_tokens(y, f), d, vm, f);
    }
    po::notify(vm);
    if (!vm.count("action") || !vm.count("manifest"))
      throw UsageError("cohort: give an action and the manifest: voxflow cohort run|submit|status|collect MANIFEST -o OUT");
    if (!vm.count("output")) throw UsageError("cohort: give the output folder with -o OUT");
    const std::string action = vm["action"].as<std::string>();
    const std::string out = vm["output"].as<std::string>();
    const bool force = vm["force"].as<bool>();
    const pipelines::CohortManifest m = pipelines::read_cohort_manifest(vm["manifest"].as<std::string>());

    if (action == "run") {
      pipelines::CohortRunOptions o;
      o.out_root = out;
      o.jobs = vm["jobs"].as<int>();
      o.force = force;
      std::istringstream ls(vm["launcher"].as<std::string>());
      for (std::string w; ls >> w;) o.launcher.push_back(w);
      const auto r = pipelines::cohort_run_local(m, o);
      pipelines::cohort_collect(m, out);
      std::printf("cohort: %d done, %d skipped (up to date), %d failed; %s/cohort.csv\n", r.done, r.skipped, r.failed,
                  out.c_str());
      return r.failed ? 1 : 0;
    }
    if (action == "submit") {
      pipelines::CohortSubmitOptions o;
      o.out_root = out;
      o.dry_run = vm["dry-run"].as<bool>();
      o.force = force;
      o.throttle = vm["throttle"].as<int>();
      o.ntasks = vm["ntasks"].as<int>();
      o.cpus_per_task = vm["cpus-per-task"].as<int>();
      o.time_limit = vm["time"].as<std::string>();
      o.partition = vm["partition"].as<std::string>();
      o.account = vm["account"].as<std::string>();
      if (vm.count("sbatch-option")) o.sbatch_extra = vm["sbatch-option"].as<std::vector<std::string>>();
      o.jobscripts = vm["jobscripts"].as<std::string>();
      if (o.ntasks < 1 || o.cpus_per_task < 1 || o.throttle < 1)
        throw UsageError("cohort submit: --ntasks, --cpus-per-task and --throttle must be >= 1");
      const auto ids = pipelines::cohort_submit(m, o);
      if (!o.dry_run) {
        if (ids[0].empty()) std::printf("cohort: every subject is up to date; no array job\n");
        else std::printf("array job %s\n", ids[0].c_str());
        std::printf("collection job %s\n", ids[1].c_str());
      }
      return 0;
    }
    if (action == "status") {
      std::fputs(pipelines::cohort_status_text(m, out).c_str(), stdout);
      return 0;
    }
    if (action == "collect") {
      const int rows = pipelines::cohort_collect(m, out);
      std::printf("cohort: %d rows in %s/cohort.csv\n", rows, out.c_str());
      return 0;
    }
    if (action == "task" || action == "task-end") {
      if (!vm.count("index")) throw UsageError("cohort " + action + ": give --index N");
      const int i = vm["index"].as<int>();
      if (i < 0 || i >= static_cast<int>(m.entries.size()))
        throw UsageError("cohort " + action + ": --index " + std::to_string(i) + " is not a row of " + m.path);
      const auto& e = m.entries[static_cast<size_t>(i)];
      const std::string dir = pipelines::cohort_output_dir(out, e);
      if (action == "task-end") {
        if (!vm.count("exit-code")) throw UsageError("cohort task-end: give --exit-code RC");
        pipelines::cohort_task_end(dir, e, pipelines::cohort_key(e), vm["exit-code"].as<int>());
        const auto st = pipelines::cohort_subject_status(dir, e, pipelines::cohort_key(e));
        std::printf("%s %s: %s%s%s\n", e.subject.c_str(), e.command.c_str(), pipelines::cohort_state_name(st.state),
                    st.error.empty() ? "" : ": ", st.error.c_str());
        return 0;
      }
      // task: print the plan for the array job's shell: the folder, the subject, the key, the
      // resume option ("" or --resume), the file for the run's standard error, then the voxflow
      // arguments, one per line; exit 3 when up to date
      std::string key;
      try {
        key = pipelines::cohort_key(e);
      } catch (const Error& ex) {
        pipelines::cohort_task_begin(dir, e, "unreadable-input", false);
        std::FILE* f = std::fopen(pipelines::cohort_record_path(dir, ".err").c_str(), "w");
        if (f) {
          std::fprintf(f, "voxflow: error: %s\n", ex.what());
          std::fclose(f);
        }
        pipelines::cohort_task_end(dir, e, "unreadable-input", 2);
        throw;
      }
      if (!force && pipelines::cohort_subject_status(dir, e, key).state == pipelines::CohortState::Done) {
        std::fprintf(stderr, "%s %s: up to date (skipped)\n", e.subject.c_str(), e.command.c_str());
        return kUpToDate;
      }
      const bool resume = pipelines::cohort_task_begin(dir, e, key, force);
      std::printf("%s\n%s\n%s\n%s\n%s\n", dir.c_str(), e.subject.c_str(), key.c_str(),
                  resume && e.command == "kinetics" ? "--resume" : "",
                  pipelines::cohort_record_path(dir, ".err").c_str());
      for (const auto& a : pipelines::cohort_arguments(e, dir)) std::printf("%s\n", a.c_str());
      return 0;
    }
    throw UsageError("cohort: unknown action '" + action + "' (run, submit, status, collect)");
  } catch (const Error& e) {
    std::fprintf(stderr, "voxflow: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "voxflow: error: %s\n", e.what());
    return 2;
  }
}

}  // namespace voxflow::apps
