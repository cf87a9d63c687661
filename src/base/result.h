// base/result.h — errors as values.
//
// Till returns expected failures (bad input, a busy database, a declined card) as values and
// keeps exceptions for bugs and start-up. g++ 12 ships std::expected only in C++23 mode, so
// this is a small subset of its interface; when the toolchain moves to C++23 the alias below
// becomes std::expected and callers do not change.
#pragma once

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace till {

template <class E>
class Unexpected {
 public:
  explicit Unexpected(E error) : error_(std::move(error)) {}
  const E& error() const& { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

template <class E>
Unexpected<std::decay_t<E>> unexpected(E&& error) {
  return Unexpected<std::decay_t<E>>(std::forward<E>(error));
}

template <class T, class E>
class [[nodiscard]] Expected {
 public:
  Expected(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  template <class G>
  Expected(Unexpected<G> error)  // NOLINT: implicit by design, like std::expected
      : state_(std::in_place_index<1>, E(std::move(error).error())) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const& {
    assert(!has_value());
    return std::get<1>(state_);
  }
  E&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(state_));
  }

 private:
  std::variant<T, E> state_;
};

template <class E>
class [[nodiscard]] Expected<void, E> {
 public:
  Expected() = default;
  template <class G>
  Expected(Unexpected<G> error)  // NOLINT: implicit by design, like std::expected
      : error_(E(std::move(error).error())), has_error_(true) {}

  bool has_value() const { return !has_error_; }
  explicit operator bool() const { return has_value(); }
  void value() const { assert(has_value()); }
  const E& error() const& {
    assert(!has_value());
    return error_;
  }
  E&& error() && {
    assert(!has_value());
    return std::move(error_);
  }

 private:
  E error_{};
  bool has_error_ = false;
};

// The error type most of Till uses: a stable machine-readable code and a message for humans.
// Modules with richer failure information (store, api) define their own error structs.
struct Error {
  std::string code;     // snake_case, stable: tests and callers branch on it
  std::string message;  // says what went wrong and, where possible, what to do
};

template <class T>
using Result = Expected<T, Error>;

inline Unexpected<Error> fail(std::string code, std::string message) {
  return Unexpected<Error>(Error{std::move(code), std::move(message)});
}

}  // namespace till
