#include "core/sql/sql_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>

namespace stepd::sql {
namespace {

namespace fs = std::filesystem;

// A fresh directory tree per test:
//   <root>/scripts/            the scripts directory
//   <root>/scripts-evil/       a sibling whose name starts with the same characters
//   <root>/outside.sql
class SqlFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    root_ = fs::temp_directory_path() /
            ("stepd_sql_file_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    fs::remove_all(root_);
    scripts_ = root_ / "scripts";
    fs::create_directories(scripts_ / "nightly");
    fs::create_directories(root_ / "scripts-evil");
    write(scripts_ / "load.sql", "SELECT 1;");
    write(scripts_ / "nightly" / "vacuum.sql", "VACUUM;");
    write(root_ / "scripts-evil" / "steal.sql", "SELECT 'stolen';");
    write(root_ / "outside.sql", "SELECT 'outside';");
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  static void write(const fs::path& p, const std::string& content) {
    std::ofstream out(p, std::ios::binary);
    out << content;
  }

  std::string error_of(std::string_view name) const { return error_of(scripts_, name); }
  static std::string error_of(const fs::path& dir, std::string_view name) {
    try {
      fs::path p = resolve_sql_file(dir, name);
      return "resolved to " + p.string();
    } catch (const SqlFileError& e) {
      return e.what();
    }
  }

  fs::path root_;
  fs::path scripts_;
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(SqlFileTest, ResolvesFilesInsideTheDirectory) {
  EXPECT_EQ(resolve_sql_file(scripts_, "load.sql"), fs::canonical(scripts_ / "load.sql"));
  EXPECT_EQ(resolve_sql_file(scripts_, "nightly/vacuum.sql"),
            fs::canonical(scripts_ / "nightly" / "vacuum.sql"));
  EXPECT_EQ(resolve_sql_file(scripts_, "./nightly//vacuum.sql"),
            fs::canonical(scripts_ / "nightly" / "vacuum.sql"));
}

TEST_F(SqlFileTest, TheScriptsDirectoryMayBeGivenThroughALinkOrWithASlash) {
  fs::create_directory_symlink(scripts_, root_ / "current");
  EXPECT_EQ(resolve_sql_file(root_ / "current", "load.sql"), fs::canonical(scripts_ / "load.sql"));
  EXPECT_EQ(resolve_sql_file(scripts_.string() + "/", "load.sql"),
            fs::canonical(scripts_ / "load.sql"));
}

TEST_F(SqlFileTest, RejectsAnEmptyName) {
  EXPECT_TRUE(contains(error_of(""), "empty"));
}

TEST_F(SqlFileTest, RejectsNulBytes) {
  EXPECT_TRUE(contains(error_of(std::string_view("load.sql\0.txt", 13)), "NUL"));
}

TEST_F(SqlFileTest, RejectsAbsoluteNames) {
  std::string absolute = (scripts_ / "load.sql").string();
  EXPECT_TRUE(contains(error_of(absolute), "must be relative")) << error_of(absolute);
  EXPECT_TRUE(contains(error_of("/etc/passwd"), "must be relative"));
}

TEST_F(SqlFileTest, RejectsDotDotEvenWhenItWouldStayInside) {
  EXPECT_TRUE(contains(error_of("../outside.sql"), "'..'"));
  EXPECT_TRUE(contains(error_of("nightly/../load.sql"), "'..'"));
  EXPECT_TRUE(contains(error_of("../scripts-evil/steal.sql"), "'..'"));
  EXPECT_TRUE(contains(error_of(".."), "'..'"));
  // Dots that are part of a name are fine.
  write(scripts_ / "..hidden.sql", "SELECT 3;");
  EXPECT_EQ(resolve_sql_file(scripts_, "..hidden.sql"), fs::canonical(scripts_ / "..hidden.sql"));
}

TEST_F(SqlFileTest, RejectsMissingFiles) {
  EXPECT_TRUE(contains(error_of("nope.sql"), "does not exist"));
  EXPECT_TRUE(contains(error_of("nightly/nope.sql"), "does not exist"));
  EXPECT_TRUE(contains(error_of("load.sql/more.sql"), "does not exist")) << error_of("load.sql/x");
}

TEST_F(SqlFileTest, RejectsDirectories) {
  EXPECT_TRUE(contains(error_of("nightly"), "not a regular file"));
  EXPECT_TRUE(contains(error_of("nightly/"), "not a regular file"));
  EXPECT_TRUE(contains(error_of("."), "not a regular file"));
}

TEST_F(SqlFileTest, RejectsAFileLinkPointingOutside) {
  fs::create_symlink(root_ / "outside.sql", scripts_ / "escape.sql");
  EXPECT_TRUE(contains(error_of("escape.sql"), "outside the scripts directory"))
      << error_of("escape.sql");
}

TEST_F(SqlFileTest, RejectsADirectoryLinkPointingOutside) {
  fs::create_directory_symlink(root_, scripts_ / "up");
  EXPECT_TRUE(contains(error_of("up/outside.sql"), "outside the scripts directory"));
  EXPECT_TRUE(contains(error_of("up/scripts/load.sql"), "resolved to"))
      << "a link that comes back inside is harmless";
}

TEST_F(SqlFileTest, ASiblingWithACommonPrefixIsOutside) {
  fs::create_directory_symlink(root_ / "scripts-evil", scripts_ / "evil");
  EXPECT_TRUE(contains(error_of("evil/steal.sql"), "outside the scripts directory"))
      << error_of("evil/steal.sql");
  // And the sibling is not inside when it is named as the scripts directory's neighbour.
  fs::create_symlink(root_ / "scripts-evil" / "steal.sql", scripts_ / "steal.sql");
  EXPECT_TRUE(contains(error_of("steal.sql"), "outside the scripts directory"));
}

TEST_F(SqlFileTest, AcceptsLinksThatStayInside) {
  fs::create_symlink(scripts_ / "nightly" / "vacuum.sql", scripts_ / "alias.sql");
  EXPECT_EQ(resolve_sql_file(scripts_, "alias.sql"),
            fs::canonical(scripts_ / "nightly" / "vacuum.sql"));
}

TEST_F(SqlFileTest, ADanglingLinkIsMissing) {
  fs::create_symlink(scripts_ / "gone.sql", scripts_ / "dangling.sql");
  EXPECT_TRUE(contains(error_of("dangling.sql"), "does not exist")) << error_of("dangling.sql");
}

TEST_F(SqlFileTest, RejectsAMissingScriptsDirectory) {
  EXPECT_TRUE(contains(error_of(root_ / "absent", "load.sql"), "scripts directory"));
  EXPECT_TRUE(contains(error_of(scripts_ / "load.sql", "x.sql"), "not an accessible directory"));
}

TEST_F(SqlFileTest, ReadsTheWholeFile) {
  std::string content = "SELECT 1;\n-- \xc3\xa9\nSELECT 2;\n";
  content.push_back('\0');  // bytes are passed through as they are
  write(scripts_ / "bytes.sql", content);
  EXPECT_EQ(read_sql_file(resolve_sql_file(scripts_, "bytes.sql")), content);
  write(scripts_ / "empty.sql", "");
  EXPECT_EQ(read_sql_file(scripts_ / "empty.sql"), "");
}

TEST_F(SqlFileTest, ReadingEnforcesTheSizeLimit) {
  write(scripts_ / "ten.sql", std::string(10, 'x'));
  EXPECT_EQ(read_sql_file(scripts_ / "ten.sql", 10), std::string(10, 'x'));
  EXPECT_THROW(read_sql_file(scripts_ / "ten.sql", 9), SqlFileError);
  write(scripts_ / "big.sql", std::string(kMaxSqlFileBytes + 1, '-'));
  try {
    read_sql_file(scripts_ / "big.sql");
    ADD_FAILURE() << "a file over the default limit was read";
  } catch (const SqlFileError& e) {
    EXPECT_TRUE(contains(e.what(), std::to_string(kMaxSqlFileBytes))) << e.what();
  }
}

TEST_F(SqlFileTest, ReadingAMissingFileFails) {
  EXPECT_THROW(read_sql_file(scripts_ / "nope.sql"), SqlFileError);
}

}  // namespace
}  // namespace stepd::sql
