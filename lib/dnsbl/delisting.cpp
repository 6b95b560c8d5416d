#include "dnsbl/delisting.h"

namespace mxir::dnsbl {

bool IsListedState(const std::string& s) {
  return s == kStateListed || s == kStateCauseFixed || s == kStateRequested || s == kStateRelisted;
}

std::optional<Transition> ApplyObservation(std::optional<casedb::DelistingRow>& row,
                                           const std::string& target, const std::string& zone,
                                           const std::string& list, CheckStatus status,
                                           Timestamp ts) {
  if (status == CheckStatus::kListed) {
    if (!row) {
      casedb::DelistingRow r;
      r.target = target;
      r.zone = zone;
      r.list = list;
      r.state = kStateListed;
      r.first_listed = r.listed_since = r.last_listed = ts;
      r.updated = ts;
      row = std::move(r);
      return Transition{kEventNewListing, "", kStateListed};
    }
    row->last_listed = ts;
    row->updated = ts;
    if (row->state == kStateDelisted) {
      Transition t{kEventRelisted, row->state, kStateRelisted};
      row->state = kStateRelisted;
      row->listed_since = ts;
      row->relist_count += 1;
      row->fixed_at.reset();
      row->requested_at.reset();
      row->fix_note.clear();
      row->request_ref.clear();
      row->request_how.clear();
      return t;
    }
    return std::nullopt;
  }
  if (status == CheckStatus::kNotListed && row && IsListedState(row->state)) {
    Transition t{kEventDelisted, row->state, kStateDelisted};
    row->state = kStateDelisted;
    row->delisted_at = ts;
    row->updated = ts;
    return t;
  }
  return std::nullopt;
}

Result<Transition> ApplyNote(casedb::DelistingRow& row, const std::string& text, bool fixed,
                             Timestamp ts) {
  if (text.empty() && !fixed) {
    return MakeError(ErrorCode::kUsage, "a note needs --text (or --fixed to record the fix)");
  }
  Transition t{fixed ? kEventCauseFixed : kEventNote, row.state, row.state};
  if (fixed) {
    if (!IsListedState(row.state)) {
      return MakeError(ErrorCode::kUsage, row.target + " on " + row.zone + " is " + row.state +
                                              ": there is no listing whose cause to fix");
    }
    row.fixed_at = ts;
    if (!text.empty()) row.fix_note = text;
    if (row.state == kStateListed || row.state == kStateRelisted) row.state = kStateCauseFixed;
    t.to_state = row.state;
  }
  row.updated = ts;
  return t;
}

Result<Transition> ApplyRequest(casedb::DelistingRow& row, const std::string& how,
                                const std::string& ref, bool force, Timestamp ts) {
  if (!IsListedState(row.state)) {
    return MakeError(ErrorCode::kUsage, row.target + " on " + row.zone + " is " + row.state +
                                            ": nothing to request removal from");
  }
  if (!row.fixed_at && !force) {
    return MakeError(ErrorCode::kUsage,
                     "the cause of " + row.target + " on " + row.zone +
                         " is not recorded as fixed: fix it first and record that with `mxir "
                         "dnsbl delist note --fixed --text WHAT`, or pass --force (a premature "
                         "request can waste a one-shot removal)");
  }
  Transition t{kEventRequested, row.state, kStateRequested};
  row.state = kStateRequested;
  row.requested_at = ts;
  row.request_how = how;
  row.request_ref = ref;
  row.updated = ts;
  return t;
}

}  // namespace mxir::dnsbl
