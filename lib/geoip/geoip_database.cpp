#include "geoip/geoip_database.h"

#include <cerrno>
#include <cstring>
#include <unordered_set>

#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

namespace mxir::geoip {

struct GeoIpDatabase::Handle {
  MMDB_s mmdb{};
  bool open = false;
  ~Handle() {
    if (open) MMDB_close(&mmdb);
  }
};

namespace {

// Walks the whole search tree (a few ms even for a city database) and decodes the first
// kMaxRecords distinct data records; returns what is wrong, or "" when nothing is.
std::string CheckTree(const MMDB_s& mmdb) {
  constexpr size_t kMaxRecords = 4096;
  std::unordered_set<uint32_t> decoded;
  auto check_record = [&](uint8_t type, MMDB_entry_s entry) -> std::string {
    if (type == MMDB_RECORD_TYPE_INVALID) return "a search tree record points outside the file";
    if (type != MMDB_RECORD_TYPE_DATA || decoded.size() >= kMaxRecords) return "";
    if (!decoded.insert(entry.offset).second) return "";
    MMDB_entry_data_list_s* list = nullptr;
    int rc = MMDB_get_entry_data_list(&entry, &list);
    MMDB_free_entry_data_list(list);
    return rc == MMDB_SUCCESS ? "" : std::string(MMDB_strerror(rc));
  };
  for (uint32_t n = 0; n < mmdb.metadata.node_count; ++n) {
    MMDB_search_node_s node{};
    int rc = MMDB_read_node(&mmdb, n, &node);
    if (rc != MMDB_SUCCESS) return MMDB_strerror(rc);
    for (auto why : {check_record(node.left_record_type, node.left_record_entry),
                     check_record(node.right_record_type, node.right_record_entry)}) {
      if (!why.empty()) return why;
    }
  }
  return "";
}

}  // namespace

GeoIpDatabase::GeoIpDatabase(GeoIpDatabase&&) noexcept = default;
GeoIpDatabase& GeoIpDatabase::operator=(GeoIpDatabase&&) noexcept = default;
GeoIpDatabase::~GeoIpDatabase() = default;

Result<GeoIpDatabase> GeoIpDatabase::Open(const std::string& path) {
  const std::string hint =
      ": give a MaxMind-format database file (.mmdb), e.g. GeoLite2-Country.mmdb, "
      "GeoLite2-ASN.mmdb or a DB-IP Lite country/ASN .mmdb";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInvalidInput,
                     "'" + path + "': " + std::strerror(errno) + hint);
  }
  if (S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidInput, "'" + path + "' is a directory" + hint);
  }
  GeoIpDatabase db;
  db.path_ = path;
  db.db_ = std::make_unique<Handle>();
  int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db.db_->mmdb);
  if (rc != MMDB_SUCCESS) {
    if (st.st_size == 0)
      return MakeError(ErrorCode::kInvalidInput, "'" + path + "' is empty" + hint);
    if (rc == MMDB_IO_ERROR) {
      return MakeError(ErrorCode::kInvalidInput,
                       "'" + path + "': cannot read it (" + std::strerror(errno) + ")" + hint);
    }
    return MakeError(ErrorCode::kInvalidInput, "'" + path + "' is not a usable GeoIP database (" +
                                                   MMDB_strerror(rc) + ")" + hint);
  }
  db.db_->open = true;
  // A file whose metadata reads but whose search tree or data section is damaged fails lookups
  // later with errors nobody sees: check it now (every node, a sample of the records).
  if (std::string why = CheckTree(db.db_->mmdb); !why.empty()) {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + path + "' is a damaged GeoIP database (" + why + ")" + hint);
  }
  if (db.db_->mmdb.metadata.database_type) db.type_ = db.db_->mmdb.metadata.database_type;
  return db;
}

GeoAnswer GeoIpDatabase::Lookup(const IpAddress& ip) const {
  GeoAnswer out;
  if (!db_ || !db_->open) return out;
  sockaddr_storage ss{};
  if (ip.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, ip.bytes(), 4);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, ip.bytes(), 16);
  }
  int mmdb_error = MMDB_SUCCESS;
  MMDB_lookup_result_s r =
      MMDB_lookup_sockaddr(&db_->mmdb, reinterpret_cast<const sockaddr*>(&ss), &mmdb_error);
  if (mmdb_error != MMDB_SUCCESS || !r.found_entry) return out;
  MMDB_entry_data_s data{};
  auto country = [&](const char* map) {
    if (MMDB_get_value(&r.entry, &data, map, "iso_code", nullptr) == MMDB_SUCCESS &&
        data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING && data.data_size == 2) {
      out.country.assign(data.utf8_string, 2);
      for (char& c : out.country) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      return true;
    }
    return false;
  };
  if (!country("country")) country("registered_country");
  if (MMDB_get_value(&r.entry, &data, "autonomous_system_number", nullptr) == MMDB_SUCCESS &&
      data.has_data) {
    switch (data.type) {
      case MMDB_DATA_TYPE_UINT32:
        if (data.uint32 > 0) out.asn = data.uint32;
        break;
      case MMDB_DATA_TYPE_UINT16:
        if (data.uint16 > 0) out.asn = data.uint16;
        break;
      case MMDB_DATA_TYPE_UINT64:
        if (data.uint64 > 0 && data.uint64 <= 0xffffffffu)
          out.asn = static_cast<int64_t>(data.uint64);
        break;
      case MMDB_DATA_TYPE_INT32:
        if (data.int32 > 0) out.asn = data.int32;
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace mxir::geoip
