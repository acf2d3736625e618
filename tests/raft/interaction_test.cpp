// Data-driven interaction tests: every tests/raft/testdata/*.txt script is one gtest case,
// InteractionTest.<file name without .txt>, run against a fresh InteractionEnv (see
// interaction_env.h for the cluster and interaction_*_commands.cpp for the commands; the format
// and the command list are in testdata/README.md).
//
// Rewriting expectations: RAFT_TESTDATA_REWRITE=1 build-x/tests/raft_tests
// --gtest_filter='InteractionTest.*' runs every script and writes the actual outputs back into
// the .txt files in place (review the diff before committing). A mismatch otherwise fails the
// case naming file:line of the command with the expected and the actual output.
//
// The scripts are found through RAFT_TESTDATA_DIR, which CMake sets to this source folder's
// testdata/, so the binary works from any clone and any working directory.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/raft/datadriven.h"
#include "tests/raft/interaction_commands.h"
#include "tests/raft/interaction_env.h"

#ifndef RAFT_TESTDATA_DIR
#error "RAFT_TESTDATA_DIR must name tests/raft/testdata (set by tests/raft/CMakeLists.txt)"
#endif

namespace raft::testing {
namespace {

bool rewrite_requested() {
  const char* v = std::getenv("RAFT_TESTDATA_REWRITE");
  return v != nullptr && std::string(v) != "" && std::string(v) != "0";
}

// One script: runs it and reports the first mismatch, a script error, or unexpected violations.
class InteractionScriptTest : public ::testing::Test {
 public:
  explicit InteractionScriptTest(std::string path) : path_(std::move(path)) {}

  void TestBody() override {
    InteractionEnv env;
    try {
      auto mismatch = run_script(
          path_, [&](const Directive& d) { return run_interaction_command(env, d); },
          rewrite_requested());
      if (mismatch) ADD_FAILURE() << *mismatch;
    } catch (const ScriptError& e) {
      ADD_FAILURE() << e.what();
    }
    // Violations are printed into the output, but they must never be accepted by a rewrite
    // unless the script deliberately runs a broken raft.
    if (!env.violations().empty() && !env.bugs_configured) {
      std::string all;
      for (const std::string& v : env.violations()) all += "\n  " + v;
      ADD_FAILURE() << path_ << ": raft safety invariants violated:" << all;
    }
  }

 private:
  std::string path_;
};

std::string test_name(const std::filesystem::path& p) {
  std::string name = p.stem().string();
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
      '_');
  return name;
}

// Registers one test per script before main() runs.
bool register_scripts() {
  namespace fs = std::filesystem;
  std::vector<fs::path> scripts;
  for (const auto& e : fs::directory_iterator(RAFT_TESTDATA_DIR)) {
    if (e.is_regular_file() && e.path().extension() == ".txt") scripts.push_back(e.path());
  }
  std::sort(scripts.begin(), scripts.end());
  for (const fs::path& p : scripts) {
    std::string path = p.string();
    ::testing::RegisterTest(
        "InteractionTest", test_name(p).c_str(), nullptr, nullptr, path.c_str(), 1,
        [path]() -> ::testing::Test* { return new InteractionScriptTest(path); });
  }
  return true;
}

const bool kRegistered = register_scripts();

TEST(InteractionCommands, EveryRegisteredCommandHasAUsageLine) {
  for (auto& [name, info] : interaction_commands()) {
    EXPECT_EQ(info.usage.rfind(name, 0), 0u) << name << ": usage should start with the name";
  }
  EXPECT_GE(interaction_commands().size(), 20u);
}

TEST(InteractionCommands, ScriptMistakesNameTheLine) {
  auto tmp = std::filesystem::temp_directory_path() / "raft_interaction_bad_script.txt";
  {
    std::ofstream f(tmp);
    f << "# a comment\nno-such-command 1\n----\nok\n";
  }
  InteractionEnv env;
  try {
    run_script(
        tmp.string(), [&](const Directive& d) { return run_interaction_command(env, d); }, false);
    ADD_FAILURE() << "an unknown command must be an error";
  } catch (const ScriptError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("raft_interaction_bad_script.txt:2"), std::string::npos) << msg;
  }
  std::filesystem::remove(tmp);
}

}  // namespace
}  // namespace raft::testing
