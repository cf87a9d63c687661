// setting_docs() and docs/configuration.md describe exactly the settings that exist.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "config/config_test_util.h"

namespace till::config::testing {
namespace {

TEST(ConfigDocs, SettingDocsListEveryKeyWithItsEnvFlagAndDefault) {
  const std::vector<SettingDoc> docs = setting_docs();
  ASSERT_EQ(docs.size(), std::size(key_specs));
  for (std::size_t i = 0; i < docs.size(); i++) {
    SCOPED_TRACE(docs[i].key);
    EXPECT_EQ(docs[i].key, key_specs[i].key);
    EXPECT_EQ(docs[i].env, key_specs[i].env);
    EXPECT_EQ(docs[i].flag, key_specs[i].flag);
    EXPECT_EQ(docs[i].default_value, key_specs[i].default_value);
    EXPECT_FALSE(docs[i].description.empty());
  }
}

std::string read_reference() {
  std::ifstream file(std::string(TILL_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The reference has one table row per key: "| `key` | `ENV` | `--flag` | `default` | ... |".
std::string table_row(const std::string& reference, std::string_view key) {
  const std::string start = "| `" + std::string(key) + "` |";
  const std::size_t at = reference.find(start);
  if (at == std::string::npos) return {};
  return reference.substr(at, reference.find('\n', at) - at);
}

TEST(ConfigDocs, ReferenceHasARowForEveryKey) {
  const std::string reference = read_reference();
  ASSERT_FALSE(reference.empty()) << "cannot read " << TILL_SOURCE_DIR << "/docs/configuration.md";
  for (const SettingDoc& doc : setting_docs()) {
    SCOPED_TRACE(doc.key);
    const std::string row = table_row(reference, doc.key);
    ASSERT_FALSE(row.empty()) << "no table row for " << doc.key;
    EXPECT_NE(row.find("`" + doc.env + "`"), std::string::npos) << row;
    if (!doc.flag.empty()) {
      EXPECT_NE(row.find("`" + doc.flag + "`"), std::string::npos) << row;
    }
    if (!doc.default_value.empty()) {
      EXPECT_NE(row.find("`" + doc.default_value + "`"), std::string::npos) << row;
    }
  }
}

TEST(ConfigDocs, ReferenceExplainsTheFileVariableAndTheCheckCommand) {
  const std::string reference = read_reference();
  for (const std::string_view needle : {"TILL_CONFIG", "till config check", "--config"}) {
    EXPECT_NE(reference.find(needle), std::string::npos) << needle;
  }
}

}  // namespace
}  // namespace till::config::testing
