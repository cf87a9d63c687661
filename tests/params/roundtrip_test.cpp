// Property test: random parameter trees, encoded as stripe-node does (indices, brackets left
// unescaped) and as the `a[]=` SDKs do (lists of strings as `[]`, escaped brackets, '+' for
// spaces), decode to the expected objects, and a Reader driven by the tree's shape reads the
// original values back from both with nothing left over.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <random>
#include <set>
#include <string>

#include "params/params.h"

namespace till::params {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

// Characters a key or value is made of: the form syntax characters, both brackets (values
// only), multi-byte UTF-8 and an emoji.
const std::vector<std::string> kKeyAlphabet = {"a", "b", "Z", "_", "1", " ", "&", "=", "+", "%",
                                               "#", "?", "/", ".", "~", "'", "é", "€", "😀"};
const std::vector<std::string> kValueExtra = {"[", "]", "*", "(", ")", "!", "\"", "\t", "\n"};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : random_(seed) {}

  // A non-empty object whose leaves sit at most kDepthMax segments deep.
  object tree(std::size_t depth) {
    object node;
    const std::size_t keys = pick(1, 4);
    while (node.size() < keys) node[key()] = member(depth);
    return node;
  }

 private:
  std::size_t pick(std::size_t low, std::size_t high) {
    return std::uniform_int_distribution<std::size_t>(low, high)(random_);
  }

  // Keys always hold a letter, so none reads as a list index, and never a bracket.
  std::string key() {
    std::string text = pick(0, 1) == 0 ? "k" : "é";
    const std::size_t length = pick(0, 6);
    for (std::size_t i = 0; i < length; ++i) text += kKeyAlphabet[pick(0, kKeyAlphabet.size() - 1)];
    return text;
  }

  std::string text() {
    std::string out;
    const std::size_t length = pick(0, 8);
    const std::size_t alphabet = kKeyAlphabet.size() + kValueExtra.size();
    for (std::size_t i = 0; i < length; ++i) {
      const std::size_t at = pick(0, alphabet - 1);
      out += at < kKeyAlphabet.size() ? kKeyAlphabet[at] : kValueExtra[at - kKeyAlphabet.size()];
    }
    return out;
  }

  // A value whose container sits at `depth` (the top-level object is depth 1): its leaves are
  // at depth + 1 for a string, deeper for hashes and lists.
  value member(std::size_t depth) {
    const std::size_t room = kDepthMax - depth;  // further levels a member may add
    // Mostly strings, so trees stay small (each hash has fewer than 1.3 nested ones).
    const std::size_t roll = pick(0, 5);
    std::size_t kind = roll < 3 ? 0 : roll - 2;
    if (room < 2 && kind > 1) kind = 0;
    if (room < 1) kind = 0;
    switch (kind) {
      case 0:
        return value(text());
      case 1: {  // a list of strings: one level (the array, or the index hash)
        array list;
        const std::size_t items = pick(1, 3);
        for (std::size_t i = 0; i < items; ++i) list.emplace_back(text());
        return list;
      }
      case 2:
        return tree(depth + 1);
      default: {  // a list of hashes: the index hash and the element hash
        array list;
        const std::size_t items = pick(1, 3);
        for (std::size_t i = 0; i < items; ++i) list.emplace_back(tree(depth + 2));
        return list;
      }
    }
  }

  std::mt19937_64 random_;
};

bool is_hash_list(const array& list) { return !list.empty() && list[0].is_object(); }

// encodeURIComponent plus the escapes stripe-node adds, then brackets un-escaped.
std::string stripe_node_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~' || c == '[' || c == ']';
    if (plain) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15u];
    }
  }
  return out;
}

// The `a[]=` SDKs' escaping (CGI.escape style): '+' for spaces, brackets escaped.
std::string www_form_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";  // lowercase, to exercise both
  std::string out;
  for (const char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '*';
    if (plain) {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15u];
    }
  }
  return out;
}

enum class Style { indices, brackets };

void encode(const value& node, const std::string& path, Style style, std::string& out) {
  const auto pair = [&](const std::string& name, std::string_view text) {
    if (!out.empty()) out += '&';
    if (style == Style::indices) {
      out += stripe_node_escape(name) + "=" + stripe_node_escape(text);
    } else {
      out += www_form_escape(name) + "=" + www_form_escape(text);
    }
  };
  if (node.is_string()) {
    pair(path, node.get_string());
  } else if (node.is_object()) {
    for (const auto& member : node.get_object()) {
      encode(
          member.value(),
          path.empty() ? std::string(member.key()) : path + "[" + std::string(member.key()) + "]",
          style, out);
    }
  } else {
    const array& list = node.get_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
      const bool indexed = style == Style::indices || is_hash_list(list);
      encode(list[i], path + (indexed ? "[" + std::to_string(i) + "]" : "[]"), style, out);
    }
  }
}

// What decode_form must give: lists as index hashes, except lists of strings sent as `[]`.
value expected(const value& node, Style style) {
  if (node.is_string()) return node;
  if (node.is_object()) {
    object out;
    for (const auto& member : node.get_object())
      out[member.key()] = expected(member.value(), style);
    return out;
  }
  const array& list = node.get_array();
  if (style == Style::brackets && !is_hash_list(list)) return list;
  object out;
  for (std::size_t i = 0; i < list.size(); ++i) out[std::to_string(i)] = expected(list[i], style);
  return out;
}

// Reads every member of `original` through `reader` with the accessor its shape calls for.
void read_back(Reader& reader, const object& original) {
  for (const auto& member : original) {
    const std::string_view key = member.key();
    const value& node = member.value();
    if (node.is_string()) {
      auto text = reader.string(key, 1024);
      ASSERT_TRUE(text && *text) << reader.prefix() << " " << key;
      EXPECT_EQ(**text, node.get_string());
    } else if (node.is_object()) {
      auto nested = reader.hash(key);
      ASSERT_TRUE(nested && *nested) << key;
      read_back(**nested, node.get_object());
    } else if (is_hash_list(node.get_array())) {
      auto list = reader.hash_list(key, 10);
      ASSERT_TRUE(list && *list) << (list ? "" : list.error().message);
      ASSERT_EQ((*list)->size(), node.get_array().size());
      for (std::size_t i = 0; i < node.get_array().size(); ++i) {
        read_back((**list)[i], node.get_array()[i].get_object());
      }
    } else {
      auto list = reader.string_list(key, 10, 1024);
      ASSERT_TRUE(list && *list) << (list ? "" : list.error().message);
      ASSERT_EQ((*list)->size(), node.get_array().size());
      for (std::size_t i = 0; i < node.get_array().size(); ++i) {
        EXPECT_EQ((**list)[i], node.get_array()[i].get_string());
      }
    }
  }
  const std::optional<api::ApiError> unknown = reader.finish();
  EXPECT_FALSE(unknown) << unknown->param;
}

TEST(RoundTrip, RandomTreesInBothEncodings) {
  constexpr int kTrees = 500;
  for (int seed = 0; seed < kTrees; ++seed) {
    Generator generator(static_cast<std::uint64_t>(seed));
    const object tree = generator.tree(1);
    for (const Style style : {Style::indices, Style::brackets}) {
      std::string text;
      encode(tree, "", style, text);
      SCOPED_TRACE("seed " + std::to_string(seed) + ": " + text);
      auto decoded = decode_form(text);
      ASSERT_TRUE(decoded) << decoded.error().param << ": " << decoded.error().message;
      EXPECT_EQ(value(*decoded), expected(tree, style)) << boost::json::serialize(*decoded) << "\n"
                                                        << boost::json::serialize(tree);
      Reader reader(*decoded);
      read_back(reader, tree);
      // The same tree as a JSON body reads back the same way.
      auto from_json = decode_json(boost::json::serialize(tree));
      ASSERT_TRUE(from_json) << from_json.error().message;
      Reader json_reader(*from_json);
      read_back(json_reader, tree);
    }
  }
}

}  // namespace
}  // namespace till::params
