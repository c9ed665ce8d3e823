#include "services/compensation/domain/engine.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace rusta::compensation {
namespace {

std::string Day(absl::CivilDay day) { return absl::FormatCivilTime(day); }
std::string Month(absl::CivilMonth month) { return absl::FormatCivilTime(month); }

void Report(std::vector<std::string>* problems, const std::string& case_id,
            const std::string& what, const std::string& why) {
  if (problems != nullptr) problems->push_back(absl::StrCat(case_id, ": ", what, ": ", why));
}

// amount × (100 - cut) / 100, rounded half away from zero.
int64_t ApplyCut(int64_t amount, int cut_percent) {
  const int64_t scaled = amount * (100 - cut_percent);
  const int64_t sign = scaled < 0 ? -1 : 1;
  return sign * ((sign * scaled + 50) / 100);
}

void AddSource(std::vector<std::string>* sources, const std::string& id) {
  if (id.empty()) return;
  if (std::find(sources->begin(), sources->end(), id) != sources->end()) return;
  sources->push_back(id);
}

// The provider assigned on `day`: the covering period with the latest `from` (hand-over day).
const ProviderPeriod* ProviderOn(const std::vector<ProviderPeriod>& providers, absl::CivilDay day) {
  const ProviderPeriod* found = nullptr;
  for (const ProviderPeriod& p : providers) {
    if (p.from > day || (p.to && *p.to < day)) continue;
    if (found == nullptr || p.from > found->from) found = &p;
  }
  return found;
}

bool Overlaps(absl::CivilDay a_first, absl::CivilDay a_last, absl::CivilDay b_first,
              absl::CivilDay b_last) {
  return a_first <= b_last && b_first <= a_last;
}

std::string TariffNote(const Tariff& tariff) {
  return absl::StrCat(" (tariff ", tariff.version, tariff.illustrative ? ", illustrativ" : "", ")");
}

std::string BasicKey(const std::string& case_id, Component c, absl::CivilMonth month) {
  return absl::StrCat(case_id, "|", ComponentName(c), "|", Month(month));
}
std::string EventKey(const std::string& case_id, Component c, const std::string& event_id) {
  return absl::StrCat(case_id, "|", ComponentName(c), "|", event_id);
}

void ComputeBasic(const Participation& p, const TariffSet& tariffs, absl::CivilDay as_of,
                  std::vector<Line>* out, std::vector<std::string>* problems) {
  const absl::CivilDay last_counted = p.end ? std::min(*p.end, as_of) : as_of;
  if (last_counted < p.start) return;  // not started by as_of
  for (absl::CivilMonth month(p.start); absl::CivilDay(month) <= last_counted; ++month) {
    const absl::CivilDay month_first(month);
    const absl::CivilDay month_last = absl::CivilDay(month + 1) - 1;
    const absl::CivilDay first = std::max(p.start, month_first);
    const std::string what = absl::StrCat("BASIC ", Month(month));
    const Tariff* tariff = tariffs.InForce(first);
    if (tariff == nullptr) {
      Report(problems, p.case_id, what, absl::StrCat("no tariff in force on ", Day(first)));
      continue;
    }
    const ProviderPeriod* provider = ProviderOn(p.providers, first);
    if (provider == nullptr) {
      Report(problems, p.case_id, what, absl::StrCat("no provider assigned on ", Day(first)));
      continue;
    }
    // The month's days of service, regardless of as_of.
    const absl::CivilDay service_last = p.end ? std::min(*p.end, month_last) : month_last;
    std::vector<const DateRange*> parallel;
    for (const DateRange& m : p.parallel_measures) {
      if (Overlaps(first, service_last, m.start, m.end)) parallel.push_back(&m);
    }
    Line line;
    line.idempotency_key = BasicKey(p.case_id, Component::kBasic, month);
    line.case_id = p.case_id;
    line.organisation_number = provider->organisation_number;
    line.component = Component::kBasic;
    line.level = p.level;
    line.period = month;
    line.tariff_version = tariff->version;
    line.tariff_amount_ore = tariff->Amount(Component::kBasic, p.level);
    line.cut = p.part_time || !parallel.empty();
    line.amount_ore =
        line.cut ? ApplyCut(line.tariff_amount_ore, tariff->part_time_cut_percent)
                 : line.tariff_amount_ore;
    line.quantity = 1;
    line.date = first;
    AddSource(&line.source_event_ids, p.decision_event_id);
    AddSource(&line.source_event_ids, p.start_event_id);
    AddSource(&line.source_event_ids, provider->event_id);
    for (const DateRange* m : parallel) AddSource(&line.source_event_ids, m->event_id);
    if (p.end && *p.end <= month_last) AddSource(&line.source_event_ids, p.end_event_id);
    std::string cut_text;
    if (line.cut) {
      const char* why = p.part_time && !parallel.empty() ? "deltid och parallell insats"
                        : p.part_time                    ? "deltid"
                                                         : "parallell insats";
      cut_text = absl::StrCat(", ", why, " -", tariff->part_time_cut_percent, " %");
    }
    line.explanation = absl::StrCat("Grundersättning nivå ", LevelName(p.level), ", ",
                                    Month(month), cut_text, ": ", FormatSek(line.amount_ore),
                                    TariffNote(*tariff));
    out->push_back(std::move(line));
  }
}

void ComputeResult(const Participation& p, const TariffSet& tariffs, absl::CivilDay as_of,
                   std::vector<Line>* out, std::vector<std::string>* problems) {
  if (!p.result) return;
  const VerifiedResult& r = *p.result;
  if (r.verified_on > as_of) return;  // not verified yet as of as_of
  const std::string what = absl::StrCat("result ", r.event_id);
  if (r.event_id.empty()) {
    Report(problems, p.case_id, "result", "the verified result has no event id");
    return;
  }
  if (r.organisation_number.empty()) {
    Report(problems, p.case_id, what, "no organisation is credited with the result");
    return;
  }
  const Tariff* tariff = tariffs.InForce(r.verified_on);
  if (tariff == nullptr) {
    Report(problems, p.case_id, what,
           absl::StrCat("no tariff in force on ", Day(r.verified_on), " (RESULT, SPEED_BONUS, "
                        "SUPPLEMENTARY not computed)"));
    return;
  }
  const char* kind = r.kind == ResultKind::kWork      ? "arbete"
                     : r.kind == ResultKind::kStudies ? "studier"
                                                      : "resultat";
  auto make = [&](Component c) {
    Line line;
    line.idempotency_key = EventKey(p.case_id, c, r.event_id);
    line.case_id = p.case_id;
    line.organisation_number = r.organisation_number;
    line.component = c;
    line.level = p.level;
    line.event_id = r.event_id;
    line.tariff_version = tariff->version;
    line.tariff_amount_ore = tariff->Amount(c, p.level);
    line.amount_ore = line.tariff_amount_ore;
    line.quantity = 1;
    line.date = r.verified_on;
    AddSource(&line.source_event_ids, p.decision_event_id);
    if (c == Component::kSpeedBonus) AddSource(&line.source_event_ids, p.start_event_id);
    AddSource(&line.source_event_ids, r.report_event_id);
    AddSource(&line.source_event_ids, r.event_id);
    return line;
  };

  Line result = make(Component::kResult);
  result.explanation = absl::StrCat("Resultatersättning nivå ", LevelName(p.level), ", ", kind,
                                    " från ", Day(r.start), ", verifierat ", Day(r.verified_on),
                                    ": ", FormatSek(result.amount_ore), TariffNote(*tariff));
  out->push_back(std::move(result));

  // Speed bonus: the start day of the service is day 1.
  if (r.start < p.start) {
    Report(problems, p.case_id, what,
           absl::StrCat("the result starts ", Day(r.start), ", before the service (",
                        Day(p.start), "): no SPEED_BONUS"));
  } else {
    const int64_t day_number = (r.start - p.start) + 1;
    if (day_number <= tariff->speed_bonus_days) {
      Line bonus = make(Component::kSpeedBonus);
      bonus.explanation = absl::StrCat("Snabbhetspremie nivå ", LevelName(p.level), ", ", kind,
                                       " från ", Day(r.start), " (dag ", day_number, " av ",
                                       tariff->speed_bonus_days, "): ", FormatSek(bonus.amount_ore),
                                       TariffNote(*tariff));
      out->push_back(std::move(bonus));
    }
  }

  if (r.kind == ResultKind::kWork && !r.subsidised &&
      r.percentage >= tariff->supplementary_min_percent) {
    Line extra = make(Component::kSupplementary);
    extra.explanation = absl::StrCat("Tilläggsersättning nivå ", LevelName(p.level),
                                     ", osubventionerat arbete ", r.percentage, " % (minst ",
                                     tariff->supplementary_min_percent,
                                     " %): ", FormatSek(extra.amount_ore), TariffNote(*tariff));
    out->push_back(std::move(extra));
  }
}

void ComputeInterpreter(const Participation& p, const TariffSet& tariffs, absl::CivilDay as_of,
                        std::vector<Line>* out, std::vector<std::string>* problems) {
  std::map<absl::CivilMonth, int> count;
  for (const InterpreterMonth& m : p.interpreter) ++count[m.month];
  for (const auto& [month, n] : count) {
    if (n > 1) {
      Report(problems, p.case_id, absl::StrCat("INTERPRETER ", Month(month)),
             absl::StrCat(n, " entries for the same month: none is paid"));
    }
  }
  for (const InterpreterMonth& m : p.interpreter) {
    if (count[m.month] > 1) continue;
    const std::string what = absl::StrCat("INTERPRETER ", Month(m.month));
    if (m.hours < 0) {
      Report(problems, p.case_id, what, absl::StrCat("negative hours (", m.hours, ")"));
      continue;
    }
    if (m.hours == 0) continue;
    const absl::CivilDay first = std::max(p.start, absl::CivilDay(m.month));
    if (m.month < absl::CivilMonth(p.start) || (p.end && first > *p.end)) {
      Report(problems, p.case_id, what, "the month is outside the service");
      continue;
    }
    if (first > as_of) continue;  // not started by as_of
    if (m.organisation_number.empty()) {
      Report(problems, p.case_id, what, "no reporting provider");
      continue;
    }
    const Tariff* tariff = tariffs.InForce(first);
    if (tariff == nullptr) {
      Report(problems, p.case_id, what, absl::StrCat("no tariff in force on ", Day(first)));
      continue;
    }
    Line line;
    line.idempotency_key = BasicKey(p.case_id, Component::kInterpreter, m.month);
    line.case_id = p.case_id;
    line.organisation_number = m.organisation_number;
    line.component = Component::kInterpreter;
    line.level = p.level;
    line.period = m.month;
    line.tariff_version = tariff->version;
    line.tariff_amount_ore = tariff->Amount(Component::kInterpreter, p.level);
    line.amount_ore = line.tariff_amount_ore * m.hours;
    line.quantity = m.hours;
    line.date = first;
    AddSource(&line.source_event_ids, m.event_id);
    line.explanation = absl::StrCat(
        "Tolkersättning ", Month(m.month), ", ", m.hours, " h × ",
        FormatSek(line.tariff_amount_ore),
        m.report_id.empty() ? "" : absl::StrCat(" (rapport ", m.report_id, ")"), ": ",
        FormatSek(line.amount_ore), TariffNote(*tariff));
    out->push_back(std::move(line));
  }
}

bool SamePayment(const Line& a, const Line& b) {
  return a.organisation_number == b.organisation_number && a.amount_ore == b.amount_ore &&
         a.tariff_version == b.tariff_version && a.tariff_amount_ore == b.tariff_amount_ore &&
         a.cut == b.cut && a.quantity == b.quantity && a.level == b.level;
}

std::string Differences(const Line& before, const Line& after) {
  std::vector<std::string> parts;
  if (before.amount_ore != after.amount_ore) {
    parts.push_back(absl::StrCat("belopp ", FormatSek(before.amount_ore), " → ",
                                 FormatSek(after.amount_ore)));
  }
  if (before.tariff_version != after.tariff_version) {
    parts.push_back(absl::StrCat("tariff ", before.tariff_version, " → ", after.tariff_version));
  }
  if (before.organisation_number != after.organisation_number) {
    parts.push_back(absl::StrCat("leverantör ", before.organisation_number, " → ",
                                 after.organisation_number));
  }
  if (before.level != after.level) {
    parts.push_back(absl::StrCat("nivå ", LevelName(before.level), " → ", LevelName(after.level)));
  }
  if (before.cut != after.cut) parts.push_back(after.cut ? "avdrag tillkommer" : "avdrag utgår");
  if (before.quantity != after.quantity) {
    parts.push_back(absl::StrCat("antal ", before.quantity, " → ", after.quantity));
  }
  if (before.tariff_amount_ore != after.tariff_amount_ore && parts.empty()) {
    parts.push_back(absl::StrCat("tariffbelopp ", FormatSek(before.tariff_amount_ore), " → ",
                                 FormatSek(after.tariff_amount_ore)));
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace

std::string FormatSek(int64_t ore) {
  const bool negative = ore < 0;
  const uint64_t abs = negative ? static_cast<uint64_t>(-(ore + 1)) + 1 : static_cast<uint64_t>(ore);
  std::string kronor = absl::StrCat(abs / 100);
  std::string grouped;
  for (size_t i = 0; i < kronor.size(); ++i) {
    if (i > 0 && (kronor.size() - i) % 3 == 0) grouped += ' ';
    grouped += kronor[i];
  }
  const uint64_t cents = abs % 100;
  return absl::StrCat(negative ? "-" : "", grouped, ",", cents < 10 ? "0" : "", cents, " kr");
}

std::vector<Line> ComputeLines(const Participation& participation, const TariffSet& tariffs,
                               absl::CivilDay as_of, std::vector<std::string>* problems) {
  std::vector<Line> lines;
  const Participation& p = participation;
  if (p.level != Level::kA && p.level != Level::kB && p.level != Level::kC) {
    Report(problems, p.case_id, "level", "not A, B or C: no line computed");
    return lines;
  }
  if (p.end && *p.end < p.start) {
    Report(problems, p.case_id, "end",
           absl::StrCat(Day(*p.end), " is before the start ", Day(p.start),
                        ": no line computed"));
    return lines;
  }
  ComputeBasic(p, tariffs, as_of, &lines, problems);
  ComputeResult(p, tariffs, as_of, &lines, problems);
  ComputeInterpreter(p, tariffs, as_of, &lines, problems);
  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return a.idempotency_key < b.idempotency_key;
  });
  return lines;
}

namespace {

// The position of a correction suffix "#v<n>" or "#rev<n>" at the end of `key`, or npos. Only
// such a suffix counts: event ids inside keys contain '#' too ("<case>#<seq>").
size_t CorrectionSuffix(std::string_view key, int* version) {
  const size_t hash = key.rfind('#');
  if (hash == std::string_view::npos) return hash;
  std::string_view suffix = key.substr(hash + 1);
  if (suffix.substr(0, 3) == "rev") {
    suffix.remove_prefix(3);
  } else if (suffix.substr(0, 1) == "v") {
    suffix.remove_prefix(1);
  } else {
    return std::string_view::npos;
  }
  int n = 0;
  if (suffix.empty() || !absl::SimpleAtoi(std::string(suffix), &n) || n < 1) return std::string_view::npos;
  if (version != nullptr) *version = n;
  return hash;
}

}  // namespace

std::string BaseKey(std::string_view key) {
  const size_t hash = CorrectionSuffix(key, nullptr);
  return std::string(hash == std::string_view::npos ? key : key.substr(0, hash));
}

int KeyVersion(std::string_view key) {
  int n = 1;
  return CorrectionSuffix(key, &n) == std::string_view::npos ? 1 : n;
}

std::vector<Line> EffectiveLines(const std::vector<Line>& ledger) {
  std::map<std::string, const Line*> reversed;  // reversed key -> reversal
  for (const Line& l : ledger) {
    if (!l.reverses.empty()) reversed[l.reverses] = &l;
  }
  // Per base key the latest line (highest version, reversals included).
  std::map<std::string, const Line*> latest;
  for (const Line& l : ledger) {
    const std::string base = BaseKey(l.idempotency_key);
    auto it = latest.find(base);
    const int version = KeyVersion(l.idempotency_key);
    if (it == latest.end()) {
      latest[base] = &l;
      continue;
    }
    const int other = KeyVersion(it->second->idempotency_key);
    // Same version: the replacement "#v<n>" is later than nothing; the reversal "#rev<n>" is
    // later than version n.
    const bool later = version > other ||
                       (version == other && !l.reverses.empty() && it->second->reverses.empty());
    if (later) it->second = &l;
  }
  std::vector<Line> out;
  for (const auto& [base, line] : latest) {
    if (!line->reverses.empty()) continue;  // reversed, no replacement
    if (reversed.count(line->idempotency_key) > 0) continue;
    out.push_back(*line);
  }
  return out;
}

std::vector<Line> LedgerDiff::ToAppend() const {
  std::vector<Line> out = additions;
  for (const Correction& c : corrections) {
    out.push_back(c.reversal);
    out.push_back(c.replacement);
  }
  return out;
}

LedgerDiff Reconcile(const std::vector<Line>& expected,
                     const std::vector<Line>& existing_effective) {
  LedgerDiff diff;
  std::map<std::string, const Line*> existing;
  for (const Line& l : existing_effective) {
    if (!l.reverses.empty()) {
      diff.problems.push_back(absl::StrCat(l.idempotency_key,
                                           ": a reversing line is not an effective line; ignored"));
      continue;
    }
    const std::string base = BaseKey(l.idempotency_key);
    auto [it, inserted] = existing.emplace(base, &l);
    if (!inserted) {
      diff.problems.push_back(absl::StrCat(base, ": several effective lines (",
                                           it->second->idempotency_key, ", ", l.idempotency_key,
                                           "); the highest version is used"));
      if (KeyVersion(l.idempotency_key) > KeyVersion(it->second->idempotency_key)) it->second = &l;
    }
  }
  std::map<std::string, const Line*> wanted;
  for (const Line& l : expected) wanted[BaseKey(l.idempotency_key)] = &l;

  for (const auto& [base, line] : wanted) {
    auto it = existing.find(base);
    if (it == existing.end()) {
      Line add = *line;
      add.idempotency_key = base;
      diff.additions.push_back(std::move(add));
      continue;
    }
    const Line& old = *it->second;
    if (SamePayment(old, *line)) continue;
    const int version = KeyVersion(old.idempotency_key);
    const std::string why = Differences(old, *line);
    Correction c;
    c.reversal = old;
    c.reversal.idempotency_key = absl::StrCat(base, "#rev", version);
    c.reversal.reverses = old.idempotency_key;
    c.reversal.amount_ore = -old.amount_ore;
    c.reversal.quantity = -old.quantity;
    c.reversal.explanation =
        absl::StrCat("Rättelse: återföring av ", old.idempotency_key, " (", why, ")");
    c.replacement = *line;
    c.replacement.idempotency_key = absl::StrCat(base, "#v", version + 1);
    c.replacement.reverses.clear();
    c.replacement.explanation =
        absl::StrCat(line->explanation, "; ersätter ", old.idempotency_key);
    diff.corrections.push_back(std::move(c));
  }
  for (const auto& [base, line] : existing) {
    if (wanted.count(base) == 0) diff.unexpected.push_back(*line);
  }
  return diff;
}

}  // namespace rusta::compensation
