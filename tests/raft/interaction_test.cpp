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
#include <iterator>
#include <optional>
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

// Scripts named known_bug_*.txt show a raft bug that is not fixed yet: they fail, so they are
// registered disabled (run them with --gtest_also_run_disabled_tests).
std::string test_name(const std::filesystem::path& p) {
  std::string name = p.stem().string();
  if (name.rfind("known_bug_", 0) == 0) name = "DISABLED_" + name;
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

TEST(InteractionScripts, EveryRegisteredCommandHasAUsageLine) {
  for (auto& [name, info] : interaction_commands()) {
    EXPECT_EQ(info.usage.rfind(name, 0), 0u) << name << ": usage should start with the name";
  }
  EXPECT_GE(interaction_commands().size(), 20u);
}

// A script file in the temp directory, removed again at the end of the test.
class TempScript {
 public:
  TempScript(const std::string& name, const std::string& text)
      : path_(std::filesystem::temp_directory_path() / name) {
    std::ofstream(path_) << text;
  }
  ~TempScript() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }
  std::string text() const {
    std::ifstream in(path_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::filesystem::path path_;
};

std::optional<std::string> run_fresh(const std::string& path, bool rewrite) {
  InteractionEnv env;
  return run_script(
      path, [&](const Directive& d) { return run_interaction_command(env, d); }, rewrite);
}

TEST(InteractionScripts, ScriptMistakesNameTheLine) {
  TempScript script("raft_interaction_bad_script.txt",
                    "# a comment\nno-such-command 1\n----\nok\n");
  try {
    run_fresh(script.path(), false);
    ADD_FAILURE() << "an unknown command must be an error";
  } catch (const ScriptError& e) {
    EXPECT_NE(std::string(e.what()).find("raft_interaction_bad_script.txt:2"), std::string::npos)
        << e.what();
  }
}

TEST(InteractionScripts, MismatchNamesTheLineAndShowsBothOutputs) {
  TempScript script("raft_interaction_mismatch.txt",
                    "add-nodes 1\n----\n1 added: Follower term=0 lead=none voters=(1)\n\n"
                    "raft-state\n----\n1: Leader term=7 lead=1 vote=1\n");
  auto failure = run_fresh(script.path(), false);
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->find("raft_interaction_mismatch.txt:5"), std::string::npos) << *failure;
  EXPECT_NE(failure->find("1: Leader term=7 lead=1 vote=1"), std::string::npos) << *failure;
  EXPECT_NE(failure->find("1: Follower term=0 lead=none vote=none"), std::string::npos) << *failure;
}

TEST(InteractionScripts, RewriteFillsInTheExpectationsAndKeepsComments) {
  TempScript script(
      "raft_interaction_rewrite.txt",
      "# header\nadd-nodes 1\n----\n\n# before raft-state\nraft-state\n----\nstale\n");
  EXPECT_FALSE(run_fresh(script.path(), true).has_value());
  EXPECT_EQ(script.text(),
            "# header\nadd-nodes 1\n----\n1 added: Follower term=0 lead=none voters=(1)\n\n"
            "# before raft-state\nraft-state\n----\n1: Follower term=0 lead=none vote=none\n");
  EXPECT_FALSE(run_fresh(script.path(), false).has_value()) << "a rewritten script must pass";
}

}  // namespace
}  // namespace raft::testing
