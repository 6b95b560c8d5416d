#include "dnsbl/catalog.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/ascii.h"
#include "core/file_util.h"
#include "core/ip_address.h"

namespace mxir::dnsbl {

namespace {

Result<CodeRule> ParseRule(const nlohmann::json& j, const std::string& where) {
  if (!j.is_array() || j.size() != 3 || !j[0].is_string() || !j[1].is_string() ||
      !j[2].is_string()) {
    return MakeError(ErrorCode::kInvalidInput,
                     where + ": a code must be [\"127.0.0.x[-127.0.0.y]\", status, meaning]");
  }
  CodeRule r;
  std::string range = j[0].get<std::string>();
  size_t dash = range.find('-');
  MXIR_ASSIGN_OR_RETURN(r.from, ParseLoopbackCode(range.substr(0, dash)));
  r.to = r.from;
  if (dash != std::string::npos) {
    MXIR_ASSIGN_OR_RETURN(r.to, ParseLoopbackCode(range.substr(dash + 1)));
  }
  if (r.to < r.from) {
    return MakeError(ErrorCode::kInvalidInput, where + ": range '" + range + "' runs backwards");
  }
  auto st = ParseCheckStatus(j[1].get<std::string>());
  if (!st) {
    return MakeError(ErrorCode::kInvalidInput, where + ": status '" + j[1].get<std::string>() +
                                                   "' is not listed, not_listed, refused or error");
  }
  r.status = *st;
  r.meaning = j[2].get<std::string>();
  return r;
}

std::string Str(const nlohmann::json& e, const char* key) {
  auto it = e.find(key);
  return (it != e.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

Result<DnsblZone> ParseZone(const nlohmann::json& e, size_t index) {
  std::string where = "zone entry " + std::to_string(index + 1);
  if (!e.is_object()) return MakeError(ErrorCode::kInvalidInput, where + " is not an object");
  DnsblZone z;
  z.id = Str(e, "id");
  if (z.id.empty()) return MakeError(ErrorCode::kInvalidInput, where + ": missing \"id\"");
  where += " (" + z.id + ")";
  auto zone = NormaliseZoneName(Str(e, "zone"));
  if (!zone.ok()) return zone.error().WithContext(where);
  z.zone = *zone;
  z.operator_name = Str(e, "operator");
  if (auto k = e.find("kinds"); k != e.end() && k->is_array()) {
    for (const auto& kind : *k) {
      std::string s = kind.is_string() ? kind.get<std::string>() : "";
      if (s == "ip4")
        z.ip4 = true;
      else if (s == "ip6")
        z.ip6 = true;
      else if (s == "domain")
        z.domain = true;
      else
        return MakeError(ErrorCode::kInvalidInput, where + ": unknown kind '" + s + "'");
    }
  }
  if (!z.ip4 && !z.ip6 && !z.domain) {
    return MakeError(ErrorCode::kInvalidInput, where + ": \"kinds\" must name ip4, ip6 or domain");
  }
  if (auto c = e.find("codes"); c != e.end() && c->is_array()) {
    for (const auto& rule : *c) {
      MXIR_ASSIGN_OR_RETURN(CodeRule r, ParseRule(rule, where));
      z.codes.push_back(std::move(r));
    }
  }
  if (auto b = e.find("bits"); b != e.end() && b->is_array()) {
    for (const auto& f : *b) {
      if (!f.is_array() || f.size() != 2 || !f[0].is_number_unsigned() || !f[1].is_string() ||
          f[0].get<uint32_t>() == 0 || f[0].get<uint32_t>() > 255) {
        return MakeError(ErrorCode::kInvalidInput, where + ": a bit must be [1..255, meaning]");
      }
      z.bits.push_back({f[0].get<uint32_t>(), f[1].get<std::string>()});
    }
  }
  z.txt = e.value("txt", false);
  z.delisting = Str(e, "delisting");
  z.next_action = Str(e, "next_action");
  z.removal_url = Str(e, "removal_url");
  z.public_resolver_blocked = Str(e, "public_resolver_blocked");
  z.note = Str(e, "note");
  if (auto x = e.find("expiry_hours"); x != e.end() && x->is_number_integer()) {
    z.expiry_hours = x->get<int>();
  }
  std::string state = Str(e, "state");
  if (state == "active" || state.empty())
    z.state = ZoneState::kActive;
  else if (state == "uncertain")
    z.state = ZoneState::kUncertain;
  else if (state == "key_required")
    z.state = ZoneState::kKeyRequired;
  else if (state == "defunct")
    z.state = ZoneState::kDefunct;
  else
    return MakeError(ErrorCode::kInvalidInput, where + ": unknown state '" + state + "'");
  z.test_listed = AsciiLower(Str(e, "test_listed"));
  z.test_unlisted = AsciiLower(Str(e, "test_unlisted"));
  z.server = Str(e, "server");
  return z;
}

}  // namespace

const char* CheckStatusName(CheckStatus s) {
  switch (s) {
    case CheckStatus::kListed:
      return "listed";
    case CheckStatus::kNotListed:
      return "not_listed";
    case CheckStatus::kRefused:
      return "refused";
    case CheckStatus::kError:
      return "error";
  }
  return "error";
}

std::optional<CheckStatus> ParseCheckStatus(std::string_view name) {
  if (name == "listed") return CheckStatus::kListed;
  if (name == "not_listed") return CheckStatus::kNotListed;
  if (name == "refused") return CheckStatus::kRefused;
  if (name == "error") return CheckStatus::kError;
  return std::nullopt;
}

const char* ZoneStateName(ZoneState s) {
  switch (s) {
    case ZoneState::kActive:
      return "active";
    case ZoneState::kUncertain:
      return "uncertain";
    case ZoneState::kKeyRequired:
      return "key_required";
    case ZoneState::kDefunct:
      return "defunct";
  }
  return "active";
}

Result<uint32_t> ParseLoopbackCode(std::string_view text) {
  auto ip = IpAddress::Parse(text);
  if (!ip || !ip->is_v4() || (ip->v4_host_order() >> 24) != 127) {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + std::string(text) + "' is not an answer code in 127.0.0.0/8");
  }
  return ip->v4_host_order();
}

Result<std::string> NormaliseZoneName(std::string_view zone) {
  std::string z = AsciiLower(zone);
  if (!z.empty() && z.back() == '.') z.pop_back();
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidInput, "zone '" + std::string(zone) +
                                                   "' is not a DNS zone name (" + why +
                                                   "); give it like zen.spamhaus.org");
  };
  if (z.empty()) return bad("empty");
  if (z.size() > 200) return bad("longer than 200 characters");
  size_t labels = 0, start = 0;
  while (start <= z.size()) {
    size_t dot = z.find('.', start);
    if (dot == std::string::npos) dot = z.size();
    std::string_view label(z.data() + start, dot - start);
    if (label.empty() || label.size() > 63) return bad("an empty or over-long label");
    for (char c : label) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
        return bad(c == ' ' ? "it contains a space" : "it contains '" + std::string(1, c) + "'");
      }
    }
    if (label.front() == '-' || label.back() == '-') return bad("a label starts or ends with '-'");
    ++labels;
    start = dot + 1;
  }
  if (labels < 2) return bad("it needs at least two labels");
  return z;
}

Result<DnsblCatalog> DnsblCatalog::Parse(std::string_view json_text, const std::string& origin) {
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("zones") ||
      !doc["zones"].is_array()) {
    return MakeError(ErrorCode::kInvalidInput,
                     origin + ": not a DNSBL catalog (a JSON object with a \"zones\" array)");
  }
  DnsblCatalog cat;
  cat.origin_ = origin;
  const auto& zones = doc["zones"];
  for (size_t i = 0; i < zones.size(); ++i) {
    auto z = ParseZone(zones[i], i);
    if (!z.ok()) return z.error().WithContext(origin);
    if (cat.Find(z->id) || cat.Find(z->zone)) {
      return MakeError(ErrorCode::kInvalidInput,
                       origin + ": zone '" + z->id + "' (" + z->zone + ") appears twice");
    }
    cat.zones_.push_back(std::move(*z));
  }
  return cat;
}

Result<DnsblCatalog> DnsblCatalog::LoadFile(const std::string& path) {
  MXIR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return Parse(text, path);
}

Result<DnsblCatalog> DnsblCatalog::LoadDefault() {
  if (const char* env = std::getenv("MXIR_DNSBL_CATALOG"); env && *env) return LoadFile(env);
  std::vector<std::string> candidates;
  std::string dir = ExecutableDir();
  if (!dir.empty()) candidates.push_back(dir + "/../share/mxir/dnsbl/catalog.json");
#ifdef MXIR_DNSBL_SOURCE_CATALOG
  candidates.push_back(MXIR_DNSBL_SOURCE_CATALOG);
#endif
  for (const auto& c : candidates) {
    if (FileExists(c)) return LoadFile(c);
  }
  return MakeError(ErrorCode::kNotFound,
                   "the DNSBL catalog was not found (looked for share/mxir/dnsbl/catalog.json "
                   "beside the mxir binary); pass --catalog FILE or set MXIR_DNSBL_CATALOG");
}

const DnsblZone* DnsblCatalog::Find(std::string_view id_or_zone) const {
  std::string key = AsciiLower(id_or_zone);
  if (!key.empty() && key.back() == '.') key.pop_back();
  for (const auto& z : zones_) {
    if (AsciiLower(z.id) == key || z.zone == key) return &z;
  }
  return nullptr;
}

std::vector<DnsblZone> DnsblCatalog::DefaultZones() const {
  std::vector<DnsblZone> out;
  for (const auto& z : zones_) {
    if (z.state == ZoneState::kActive) out.push_back(z);
  }
  return out;
}

Result<DnsblZone> DnsblCatalog::ResolveZoneArgument(std::string_view arg) const {
  std::string_view name = arg, kind;
  if (size_t eq = arg.find('='); eq != std::string_view::npos) {
    name = arg.substr(0, eq);
    kind = arg.substr(eq + 1);
  }
  if (kind.empty()) {
    if (const DnsblZone* z = Find(name)) {
      if (z->state == ZoneState::kDefunct) {
        return MakeError(ErrorCode::kUsage,
                         "zone " + z->zone + " (" + z->id + ") is defunct (" + z->note +
                             "): it is never queried, its answers would be meaningless");
      }
      if (z->state == ZoneState::kKeyRequired) {
        return MakeError(ErrorCode::kUsage,
                         "zone " + z->zone + " (" + z->id +
                             ") answers only queries that carry a subscriber key, which mxir "
                             "does not handle yet (a key in a query name ends up in resolver "
                             "logs); without one every answer would be an error");
      }
      return *z;
    }
  }
  MXIR_ASSIGN_OR_RETURN(std::string zone, NormaliseZoneName(name));
  if (const DnsblZone* z = Find(zone); z && z->state == ZoneState::kDefunct) {
    return MakeError(ErrorCode::kUsage, "zone " + zone + " is defunct: it is never queried");
  }
  if (kind.empty()) {
    return MakeError(ErrorCode::kUsage, "zone '" + zone + "' is not in the catalog (" + origin_ +
                                            "): say what it lists with " + zone + "=ip or " + zone +
                                            "=domain");
  }
  DnsblZone z;
  z.id = zone;
  z.zone = zone;
  z.ad_hoc = true;
  z.operator_name = "(not in the catalog)";
  if (kind == "ip" || kind == "ip4+ip6") {
    z.ip4 = z.ip6 = true;
  } else if (kind == "ip4") {
    z.ip4 = true;
  } else if (kind == "domain") {
    z.domain = true;
  } else {
    return MakeError(ErrorCode::kUsage, "zone kind '" + std::string(kind) +
                                            "' is not ip, ip4 or domain (in --zone " +
                                            std::string(arg) + ")");
  }
  z.codes.push_back({(127u << 24) | 2u, (127u << 24) | 255u, CheckStatus::kListed,
                     "listed (RFC 5782 code; this zone is not in the catalog)"});
  z.next_action = "see the list operator's web site";
  return z;
}

}  // namespace mxir::dnsbl
