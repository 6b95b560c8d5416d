#include "casedb/event_row_decoder.h"

#include "casedb/event_codec.h"

namespace mxir::casedb {

const char* const kEventSelectColumns =
    "SELECT id, ts, kind, source, protocol, session, client_ip, client_port, server_ip, "
    "server_port, user, file, line, packet, idx, rest FROM events ";

Status RowDecoder::Decode(Statement& st, Event* e) {
  int64_t kind = st.ColumnInt(2);
  if (kind < 0 || kind >= EventKindCount()) {
    return MakeError(ErrorCode::kCorrupt, "unknown kind");
  }
  MXIR_RETURN_IF_ERROR(DecodeRest(st.ColumnBlob(15), static_cast<EventKind>(kind), cache_, json_));
  MXIR_RETURN_IF_ERROR(reader_.Parse(json_, e));
  e->ts = Timestamp::FromMicros(st.ColumnInt(1));
  e->kind = static_cast<EventKind>(kind);
  auto str = [&](int col, std::string* out) -> Status {
    if (st.ColumnIsNull(col)) return Status::Ok();
    MXIR_ASSIGN_OR_RETURN(const SharedString* s, cache_.Get(st.ColumnInt(col)));
    *out = s->str();
    return Status::Ok();
  };
  auto shared = [&](int col, SharedString* out) -> Status {
    if (st.ColumnIsNull(col)) return Status::Ok();
    MXIR_ASSIGN_OR_RETURN(const SharedString* s, cache_.Get(st.ColumnInt(col)));
    *out = *s;
    return Status::Ok();
  };
  auto ip = [&](int col, std::optional<IpAddress>* out) {
    std::string_view b = st.ColumnBlob(col);
    if (b.size() != 4 && b.size() != 16) return;
    *out = IpAddress::FromBytes(reinterpret_cast<const uint8_t*>(b.data()), b.size() == 16);
  };
  auto num = [&](int col, auto* out) {
    if (!st.ColumnIsNull(col))
      *out = static_cast<std::remove_pointer_t<decltype(out)>>(st.ColumnInt(col));
  };
  MXIR_RETURN_IF_ERROR(str(3, &e->source));
  MXIR_RETURN_IF_ERROR(str(4, &e->protocol));
  MXIR_RETURN_IF_ERROR(shared(5, &e->session));
  ip(6, &e->client_ip);
  num(7, &e->client_port);
  ip(8, &e->server_ip);
  num(9, &e->server_port);
  MXIR_RETURN_IF_ERROR(str(10, &e->user));
  MXIR_RETURN_IF_ERROR(shared(11, &e->origin.file));
  num(12, &e->origin.line);
  num(13, &e->origin.packet);
  num(14, &e->origin.index);
  return Status::Ok();
}

}  // namespace mxir::casedb
