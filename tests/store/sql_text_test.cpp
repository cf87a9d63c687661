// The `$N` placeholder scanner shared by both backends.
#include "store/detail/sql_text.h"

#include <gtest/gtest.h>

namespace till::store::detail {
namespace {

struct Case {
  const char* sql;
  Dialect dialect;
  const char* text;  // after rewriting
  int parameter_count;
};

class ScanPlaceholdersTest : public ::testing::TestWithParam<Case> {};

TEST_P(ScanPlaceholdersTest, RewritesOnlyRealPlaceholders) {
  const Case& c = GetParam();
  StoreResult<ScannedSql> scanned = scan_placeholders(c.sql, c.dialect);
  ASSERT_TRUE(scanned) << scanned.error().message;
  EXPECT_EQ(scanned.value().text, c.text);
  EXPECT_EQ(scanned.value().parameter_count, c.parameter_count);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ScanPlaceholdersTest,
    ::testing::Values(
        Case{"SELECT $1 + $2", Dialect::sqlite, "SELECT ?1 + ?2", 2},
        Case{"SELECT $2, $1, $2", Dialect::sqlite, "SELECT ?2, ?1, ?2", 2},
        Case{"SELECT $12", Dialect::sqlite, "SELECT ?12", 12},
        Case{"SELECT $1 + $2", Dialect::postgres, "SELECT $1 + $2", 2},
        Case{"SELECT '$1'", Dialect::sqlite, "SELECT '$1'", 0},
        Case{"SELECT 'it''s $1', $1", Dialect::sqlite, "SELECT 'it''s $1', ?1", 1},
        Case{"SELECT \"odd$1\" FROM t", Dialect::sqlite, "SELECT \"odd$1\" FROM t", 0},
        Case{"SELECT 1 -- $5\n, $1", Dialect::sqlite, "SELECT 1 -- $5\n, ?1", 1},
        Case{"/* $7 /* */ $2", Dialect::sqlite, "/* $7 /* */ ?2", 2},
        Case{"/* $7 /* nested */ $8 */ $2", Dialect::postgres, "/* $7 /* nested */ $8 */ $2", 2},
        Case{"SELECT $$ $3 $$, $1", Dialect::postgres, "SELECT $$ $3 $$, $1", 1},
        Case{"SELECT $fn$ $3 $fn$, $1", Dialect::postgres, "SELECT $fn$ $3 $fn$, $1", 1},
        Case{"SELECT E'\\' $3', $1", Dialect::postgres, "SELECT E'\\' $3', $1", 1},
        Case{"SELECT foo$1 FROM t", Dialect::postgres, "SELECT foo$1 FROM t", 0},
        Case{"SELECT 'unterminated $1", Dialect::sqlite, "SELECT 'unterminated $1", 0}));

TEST(ScanPlaceholdersErrorsTest, RejectsZeroAndTooLargeIndexes) {
  for (const char* sql : {"SELECT $0", "SELECT $4097", "SELECT $99999999999999999999"}) {
    StoreResult<ScannedSql> scanned = scan_placeholders(sql, Dialect::sqlite);
    ASSERT_FALSE(scanned) << sql;
    EXPECT_EQ(scanned.error().kind, ErrorKind::invalid_argument);
  }
}

TEST(IsBlankSqlTest, AcceptsOnlyWhitespaceSemicolonsAndComments) {
  EXPECT_TRUE(is_blank_sql(""));
  EXPECT_TRUE(is_blank_sql(" ;\n -- trailing\n /* block */ ;"));
  EXPECT_FALSE(is_blank_sql("; SELECT 2"));
  EXPECT_FALSE(is_blank_sql(" x"));
}

}  // namespace
}  // namespace till::store::detail
