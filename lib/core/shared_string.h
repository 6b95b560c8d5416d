// SharedString: an immutable string shared by reference, for values repeated in millions of
// records — an event's origin file name and file hash — so copying a record copies a pointer
// instead of allocating and copying the text.
//
// Reads like a const std::string (converts to const std::string& and std::string_view,
// compares with strings); assigning a new value never changes what other copies hold. Copies
// may be used from several threads (the count is atomic); one object is not to be assigned
// from two threads at once.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace mxir {

class SharedString {
 public:
  SharedString() = default;
  SharedString(std::string s)  // NOLINT: implicit, as for std::string
      : p_(s.empty() ? nullptr : std::make_shared<const std::string>(std::move(s))) {}
  SharedString(const char* s) : SharedString(std::string(s)) {}  // NOLINT
  explicit SharedString(std::string_view s) : SharedString(std::string(s)) {}

  const std::string& str() const { return p_ ? *p_ : Empty(); }
  operator const std::string&() const { return str(); }  // NOLINT
  operator std::string_view() const { return str(); }    // NOLINT

  bool empty() const { return p_ == nullptr; }
  // The same shared object (not only equal text): moving one over the other changes nothing.
  bool SameAs(const SharedString& o) const { return p_ == o.p_; }
  size_t size() const { return str().size(); }
  const char* data() const { return str().data(); }
  const char* c_str() const { return str().c_str(); }

  friend bool operator==(const SharedString& a, const SharedString& b) {
    return a.p_ == b.p_ || a.str() == b.str();
  }
  friend bool operator==(const SharedString& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const SharedString& a, const char* b) { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& out, const SharedString& s) {
    return out << s.str();
  }

 private:
  static const std::string& Empty() {
    static const std::string kEmpty;
    return kEmpty;
  }
  std::shared_ptr<const std::string> p_;
};

}  // namespace mxir
