// Status and Result<T>: how every lib/ function reports failure (no exceptions cross lib/ APIs).
//
// An Error carries a code that tools map to an exit status (kInvalidInput and kUsage -> 2,
// everything else -> 3) and a message that says what was wrong and, where possible, what to do.
// Libraries return errors; only tools print them.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace mxir {

enum class ErrorCode {
  kUsage,         // the caller asked for something that makes no sense (bad option value)
  kInvalidInput,  // the input (file, record, address) is malformed
  kNotFound,      // a file, case, account or record does not exist
  kIo,            // the OS refused: open, read, write, permissions
  kCorrupt,       // stored data is damaged (a case file that is not a case)
  kVersion,       // made by a newer mxir, or an unsupported format version
  kBusy,          // a lock or resource stayed busy past its timeout
  kUnavailable,   // a remote service did not answer or refused
  kInternal,      // a bug or an unexpected library failure
};

// Name of the code, for messages and JSON ("invalid_input").
const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // "context: message", for adding where an error happened on its way up.
  [[nodiscard]] Error WithContext(const std::string& context) const {
    return Error{code, context + ": " + message};
  }
  // The process exit status a tool should use for this error (see spec/cli.md).
  [[nodiscard]] int ExitStatus() const {
    return (code == ErrorCode::kUsage || code == ErrorCode::kInvalidInput ||
            code == ErrorCode::kNotFound || code == ErrorCode::kCorrupt ||
            code == ErrorCode::kVersion)
               ? 2
               : 3;
  }
};

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

// A success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  static Status Ok() { return Status(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

// A value of T or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(status.error()) {}  // NOLINT: only from a failed Status

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace mxir

// Returns early from the enclosing function if `expr` (a Status) failed.
#define MXIR_RETURN_IF_ERROR(expr)                       \
  do {                                                   \
    ::mxir::Status mxir_status_ = (expr);                \
    if (!mxir_status_.ok()) return mxir_status_.error(); \
  } while (0)

#define MXIR_CONCAT_INNER_(a, b) a##b
#define MXIR_CONCAT_(a, b) MXIR_CONCAT_INNER_(a, b)
// `MXIR_ASSIGN_OR_RETURN(auto x, Foo());` declares x from a Result or returns its error.
#define MXIR_ASSIGN_OR_RETURN(lhs, expr) \
  MXIR_ASSIGN_OR_RETURN_IMPL_(MXIR_CONCAT_(mxir_result_, __LINE__), lhs, expr)
#define MXIR_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.error();                \
  lhs = std::move(tmp).value()
