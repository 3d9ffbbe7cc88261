#include "src/pipelines/cohort_run.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include "io/atomic_file.hpp"
#include "src/core/error.hpp"
#include "src/pipelines/cohort_state.hpp"
#include "src/pipelines/provenance.hpp"
#include "voxflow/build_info.hpp"

extern char** environ;
namespace fs = std::filesystem;

namespace voxflow::pipelines {
namespace {

void write_dataset_description(const std::string& out_root) {
  std::error_code ec;
  fs::create_directories(out_root, ec);
  if (ec) throw InputError(out_root + ": cannot create the cohort folder (" + ec.message() + ")");
  const fs::path p = fs::path(out_root) / kDatasetDescriptionFile;
  if (!fs::exists(p)) io::write_text_atomic(p.string(), dataset_description_json("voxflow cohort derivatives"));
}

/// "0-2,5,7-8" for sorted indices
std::string index_ranges(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (!s.empty()) s += ',';
    s += std::to_string(v[i]);
    if (j > i) s += "-" + std::to_string(v[j]);
    i = j + 1;
  }
  return s;
}

std::string absolute(const std::string& p) {
  std::error_code ec;
  return fs::absolute(p, ec).lexically_normal().string();
}

struct Spawned {
  pid_t pid = -1;
  const CohortEntry* entry = nullptr;
  std::string dir, key;
};

/// Starts argv with extra environment; stdout/stderr to the run's records (.out, .err). Returns the pid (-1: failed).
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env, const std::string& dir) {
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    bool replaced = false;
    for (const auto& x : extra_env)
      if (std::strncmp(*e, x.c_str(), x.find('=') + 1) == 0) replaced = true;
    if (!replaced) envs.emplace_back(*e);
  }
  envs.insert(envs.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> av, ev;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  for (const auto& e : envs) ev.push_back(const_cast<char*>(e.c_str()));
  ev.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const std::string out = cohort_record_path(dir, ".out"), err = cohort_record_path(dir, ".err");
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, av[0], &fa, nullptr, av.data(), ev.data());
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

}  // namespace

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,%@+") ==
                        std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string current_executable() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("voxflow") : p.string();
}

std::string default_jobscripts_dir() {
  if (const char* v = std::getenv("VOXFLOW_JOBSCRIPTS"); v && *v) return v;
  const fs::path exe(current_executable());
  const fs::path installed = exe.parent_path().parent_path() / "share" / "voxflow" / "jobscripts";
  std::error_code ec;
  if (fs::exists(installed / "cohort_array.sbatch", ec)) return installed.string();
  return (fs::path(kSourceDir) / "jobscripts").string();
}

CohortRunResult cohort_run_local(const CohortManifest& m, const CohortRunOptions& o) {
  write_dataset_description(o.out_root);
  const std::string bin = o.voxflow.empty() ? current_executable() : o.voxflow;
  CohortRunResult res;
  std::map<pid_t, Spawned> running;
  auto finish_one = [&]() {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    auto it = running.find(pid);
    if (pid <= 0 || it == running.end()) return;
    const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    const Spawned s = it->second;
    running.erase(it);
    cohort_task_end(s.dir, *s.entry, s.key, rc);
    const SubjectStatus st = cohort_subject_status(s.dir, *s.entry, s.key);
    if (rc == 0 && st.state == CohortState::Done) {
      ++res.done;
      std::printf("%s %s: done\n", s.entry->subject.c_str(), s.entry->command.c_str());
    } else {
      ++res.failed;
      std::printf("%s %s: failed: %s\n", s.entry->subject.c_str(), s.entry->command.c_str(),
                  rc == 0 ? "the run ended without complete outputs" : st.error.c_str());
    }
    std::fflush(stdout);
  };
  for (const auto& e : m.entries) {
    const std::string dir = absolute(cohort_output_dir(o.out_root, e));
    std::string key;
    try {
      key = cohort_key(e);
    } catch (const Error& ex) {
      // an unreadable input fails this subject only
      cohort_task_begin(dir, e, "unreadable-input", false);
      io::write_text_atomic(cohort_record_path(dir, ".err"), std::string("voxflow: error: ") + ex.what() + "\n");
      cohort_task_end(dir, e, "unreadable-input", 2);
      ++res.failed;
      std::printf("%s %s: failed: voxflow: error: %s\n", e.subject.c_str(), e.command.c_str(), ex.what());
      continue;
    }
    if (!o.force && cohort_subject_status(dir, e, key).state == CohortState::Done) {
      ++res.skipped;
      std::printf("%s %s: skipped (up to date)\n", e.subject.c_str(), e.command.c_str());
      continue;
    }
    while (static_cast<int>(running.size()) >= std::max(1, o.jobs)) finish_one();
    const bool resume = cohort_task_begin(dir, e, key, o.force);
    std::vector<std::string> argv = o.launcher;
    argv.push_back(bin);
    for (auto& a : cohort_arguments(e, dir)) argv.push_back(a);
    if (resume && e.command == "kinetics") argv.push_back("--resume");
    const pid_t pid = spawn(argv, {"VOXFLOW_COHORT_SUBJECT=" + e.subject, "VOXFLOW_COHORT_KEY=" + key}, dir);
    if (pid < 0) {
      cohort_task_end(dir, e, key, 127);
      ++res.failed;
      std::printf("%s %s: failed: cannot start %s\n", e.subject.c_str(), e.command.c_str(), argv[0].c_str());
      continue;
    }
    running[pid] = Spawned{pid, &e, dir, key};
  }
  while (!running.empty()) finish_one();
  return res;
}

std::vector<std::vector<std::string>> cohort_submit_commands(const CohortManifest& m, const CohortSubmitOptions& o) {
  const std::string out = absolute(o.out_root);
  std::vector<int> todo;
  for (const auto& e : m.entries)
    if (o.force || cohort_subject_status(cohort_output_dir(out, e), e, cohort_key(e)).state != CohortState::Done)
      todo.push_back(e.index);
  const std::string bin = o.voxflow.empty() ? current_executable() : o.voxflow;
  const std::string js = absolute(o.jobscripts.empty() ? default_jobscripts_dir() : o.jobscripts);
  std::vector<std::vector<std::string>> cmds;
  std::vector<std::string> array;
  if (!todo.empty()) {
    array = {"sbatch", "--parsable", "--job-name=voxflow-cohort",
             "--array=" + index_ranges(todo) + "%" + std::to_string(std::max(1, o.throttle)),
             "--ntasks=" + std::to_string(o.ntasks), "--cpus-per-task=" + std::to_string(o.cpus_per_task),
             "--time=" + o.time_limit, "--output=" + out + "/logs/%A_%a.log",
             "--export=ALL,VOXFLOW=" + bin + ",VOXFLOW_JOBSCRIPTS=" + js};
    if (!o.partition.empty()) array.push_back("--partition=" + o.partition);
    if (!o.account.empty()) array.push_back("--account=" + o.account);
    array.insert(array.end(), o.sbatch_extra.begin(), o.sbatch_extra.end());
    array.insert(array.end(), {js + "/cohort_array.sbatch", m.path, out});
    if (o.force) array.push_back("--force");
  }
  cmds.push_back(array);
  std::vector<std::string> collect = {"sbatch", "--parsable", "--job-name=voxflow-cohort-collect", "--ntasks=1",
                                      "--time=00:10:00", "--output=" + out + "/logs/collect-%j.log"};
  if (!todo.empty()) collect.push_back("--dependency=afterany:<array-job-id>");
  if (!o.partition.empty()) collect.push_back("--partition=" + o.partition);
  if (!o.account.empty()) collect.push_back("--account=" + o.account);
  collect.push_back("--wrap=" + shell_quote(bin) + " cohort collect " + shell_quote(m.path) + " -o " + shell_quote(out));
  cmds.push_back(collect);
  return cmds;
}

std::vector<std::string> cohort_submit(const CohortManifest& m, const CohortSubmitOptions& o) {
  write_dataset_description(o.out_root);
  std::error_code ec;
  fs::create_directories(fs::path(o.out_root) / "logs", ec);
  auto cmds = cohort_submit_commands(m, o);
  std::vector<std::string> ids;
  std::string array_id;
  for (auto& argv : cmds) {
    if (argv.empty()) {
      ids.push_back("");
      continue;
    }
    std::string line;
    for (auto& a : argv) {
      if (a == "--dependency=afterany:<array-job-id>") a = "--dependency=afterany:" + array_id;
      line += (line.empty() ? "" : " ") + shell_quote(a);
    }
    if (o.dry_run) {
      std::printf("%s\n", line.c_str());
      ids.push_back(array_id = "<array-job-id>");
      continue;
    }
    FILE* p = popen(line.c_str(), "r");
    if (!p) throw InputError("cannot run sbatch");
    std::string got;
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) got += buf;
    const int rc = pclose(p);
    if (rc != 0) throw InputError("sbatch failed (exit " + std::to_string(WEXITSTATUS(rc)) + "): " + line);
    const std::string id = got.substr(0, got.find_first_of(";\n"));
    ids.push_back(id);
    array_id = id;
  }
  return ids;
}

}  // namespace voxflow::pipelines
