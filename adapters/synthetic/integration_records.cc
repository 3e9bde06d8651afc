// Synthetic records of integration: COA's pre-integration and risk
// signals, DUO's inburgering status and VluchtelingenWerk's social
// guidance.
#include <algorithm>
#include <array>
#include <string>

#include "adapters/synthetic/record_generators.h"
#include "gateway/common/civil_date.h"

namespace ketenpoort::synthetic {
namespace {

struct Provider {
  const char* name;
  int pass_percent;  // chance to pass an exam at each attempt
};

// Language schools of differing quality, so a municipality's overview of
// pass rates has something to show.
constexpr std::array<Provider, 6> kProviders{{
    {"Taalschool De Brug", 78},
    {"NT2 Centrum Utrecht", 70},
    {"Inburgeringshuis Midden", 62},
    {"Lingua Nova", 55},
    {"TaalPunt", 48},
    {"ROC Midden Nederland", 74},
}};

// People from these countries mostly learn the Latin alphabet in the AZC
// and get the longer pre-integration programme.
bool NonLatinScript(const std::string& country) {
  return country != "Turkije" && country != "Somalië";
}

int64_t AddYears(int64_t day, int years) {
  // 365.25 days a year is close enough for synthetic deadlines.
  return day + static_cast<int64_t>(years * 365.25);
}

}  // namespace

void GenerateVoorinburgering(Random random, SyntheticPerson& person) {
  auto& v = person.voorinburgering;
  v.set_subject_id(person.v_number);
  const bool long_programme = NonLatinScript(person.koppeling.nationality()) && random.Chance(60);
  v.set_programme_hours(long_programme ? 158 : 121);
  const int64_t started = Day(person.koppeling.linked_on()) + random.Between(7, 21);
  const int64_t move = Day(person.koppeling.expected_move_date());
  v.set_started_on(FormatCivilDate(started));
  // About ten hours a week until the move.
  const int64_t weeks = std::max<int64_t>(0, (move - started) / 7);
  const int hours =
      static_cast<int>(std::min<int64_t>(v.programme_hours(), weeks * 10)) - random.Between(0, 12);
  v.set_hours_used(std::max(0, hours));
  v.set_nt2_level(v.hours_used() >= 110 ? "A2" : (v.hours_used() >= 50 ? "A1" : "A0"));
  v.set_knm_completed(v.hours_used() >= 90);
  if (v.knm_completed()) v.set_knm_completed_on(FormatCivilDate(move - random.Between(1, 14)));
  v.set_case_manager_talks(random.Between(2, 8));
  for (const auto& education : person.assessment.education()) {
    if (!education.completed() || !random.Chance(60)) continue;
    auto* diploma = v.add_diplomas();
    diploma->set_diploma(education.level() + " " + education.field());
    diploma->set_country(education.country());
    const int roll = random.Between(1, 10);
    diploma->set_status(roll <= 6 ? "gewaardeerd"
                                  : (roll <= 8 ? "aangevraagd" : "niet te waarderen"));
    if (diploma->status() != "aangevraagd") {
      diploma->set_decided_on(FormatCivilDate(started + random.Between(20, 80)));
    }
    if (diploma->status() == "gewaardeerd") {
      diploma->set_dutch_equivalent(education.level() >= "ISCED 6"
                                        ? "hbo bachelor"
                                        : (education.level() >= "ISCED 4" ? "mbo 4" : "mbo 2"));
    }
  }
}

void GenerateInburgeringStatus(Random random, SyntheticPerson& person) {
  auto& s = person.inburgering;
  s.set_subject_id(person.v_number);
  const auto& assessment = person.assessment;
  const int64_t start = Day(person.koppeling.expected_move_date()) + random.Between(14, 90);
  const int64_t as_of = AsOfDay();
  const int age = static_cast<int>((start - Day(person.koppeling.date_of_birth())) / 365);

  if (random.Chance(4)) {
    // A Dutch or EU diploma already exempts from the obligation.
    s.set_obligation("vrijgesteld");
    s.set_stage("ontheffing");
    s.set_exemption("vrijstelling");
    s.set_exemption_ground("diploma");
    return;
  }
  s.set_obligation("inburgeringsplichtig");
  const bool high_learner = assessment.learnability_score() >= 70;
  s.set_route(assessment.learnability_score() < 35
                  ? "Z-route"
                  : (age < 28 && high_learner ? "onderwijsroute" : "B1-route"));
  s.set_term_started_on(FormatCivilDate(start));
  int64_t deadline = AddYears(start, 3);
  s.set_loan_granted_eur(10000);
  if (start > as_of) {
    s.set_stage("intake");
    s.set_deadline(FormatCivilDate(deadline));
    s.set_loan_used_eur(0);
    return;
  }
  const Provider& provider = random.Pick(kProviders);
  s.set_provider(provider.name);
  const int64_t months = (as_of - start) / 30;
  const double used_share = std::min(1.0, static_cast<double>(months) / 30.0);
  s.set_loan_used_eur(static_cast<int>(10000 * used_share) / 50 * 50);

  // When each component is due, in months after the start of the term.
  struct Plan {
    const char* component;
    int month;
  };
  static constexpr std::array<Plan, 7> kB1{{{"PVT", 4},
                                            {"KNM", 10},
                                            {"ONA", 14},
                                            {"lezen", 18},
                                            {"luisteren", 18},
                                            {"schrijven", 22},
                                            {"spreken", 22}}};
  static constexpr std::array<Plan, 2> kZ{{{"PVT", 4}, {"KNM", 16}}};
  static constexpr std::array<Plan, 5> kEducation{
      {{"PVT", 4}, {"lezen", 12}, {"luisteren", 12}, {"schrijven", 16}, {"spreken", 16}}};
  std::span<const Plan> plan =
      s.route() == "Z-route" ? std::span<const Plan>(kZ)
                             : (s.route() == "onderwijsroute" ? std::span<const Plan>(kEducation)
                                                              : std::span<const Plan>(kB1));
  const int pace = random.Between(-3, 6);  // months ahead (-) or behind (+)
  int passed = 0;
  int started_components = 0;
  for (const Plan& step : plan) {
    auto* component = s.add_exam_components();
    component->set_component(step.component);
    const int64_t due_month = std::max(1, step.month + pace);
    if (months < due_month - 2) {
      component->set_status("niet gestart");
      component->set_attempts(0);
      continue;
    }
    ++started_components;
    const int64_t exam_day = start + due_month * 30;
    component->set_exam_date(FormatCivilDate(exam_day));
    if (exam_day > as_of) {
      component->set_status("ingeschreven");
      component->set_attempts(0);
      continue;
    }
    int attempts = 1;
    const int chance = provider.pass_percent + (high_learner ? 10 : 0);
    while (!random.Chance(chance) && attempts < 3) ++attempts;
    const bool pass = attempts < 3 || random.Chance(chance);
    component->set_attempts(attempts);
    component->set_status(pass ? "behaald" : "niet behaald");
    if (std::string(step.component).size() > 3 && pass) {
      component->set_result(s.route() == "Z-route" ? "A1" : "B1");
    }
    passed += pass ? 1 : 0;
  }
  if (months > 30 && passed < static_cast<int>(plan.size()) && random.Chance(40)) {
    deadline = AddYears(deadline, 1);
    s.set_extension_until(FormatCivilDate(deadline));
  }
  s.set_deadline(FormatCivilDate(deadline));
  if (months > 24 && passed < 2 && random.Chance(10)) {
    s.set_stage("ontheffing");
    s.set_exemption("ontheffing");
    s.set_exemption_ground(random.Chance(50) ? "medisch" : "aantoonbaar geleverde inspanning");
  } else if (passed == static_cast<int>(plan.size())) {
    s.set_stage("afgerond");
  } else if (started_components > 0) {
    s.set_stage("examens");
  } else {
    s.set_stage("in traject");
  }
}

void GenerateSocialGuidance(Random random, SyntheticPerson& person) {
  if (!random.Chance(85)) return;  // guidance is voluntary
  static constexpr std::array<const char*, 6> kMatters{
      "bankrekening", "zorgverzekering",     "DigiD",
      "toeslagen",    "inschrijving school", "huurcontract"};
  static constexpr std::array<const char*, 3> kStatus{"geregeld", "loopt", "nog doen"};
  static constexpr std::array<const char*, 5> kGoals{
      "zelfstandig post en betalingen regelen", "contact met buren opbouwen",
      "vrijwilligerswerk vinden", "kinderen naar school en sport", "Nederlands oefenen"};
  static constexpr std::array<const char*, 4> kNetwork{
      "familie in Nederland", "contact met landgenoten", "taalmaatje van VluchtelingenWerk",
      "nog weinig contacten"};
  records::v1::vwn::SocialGuidanceDossier d;
  d.set_subject_id(person.v_number);
  const int64_t linked = Day(person.koppeling.linked_on());
  d.set_guidance_started_on(FormatCivilDate(linked + random.Between(3, 14)));
  d.set_vwn_team("VluchtelingenWerk Midden-Nederland, team " +
                 person.koppeling.azc_location().substr(4));
  for (const auto& language : person.assessment.personal_background().languages_spoken()) {
    d.add_languages(language);
  }
  d.set_interpreter_needed(person.assessment.language_levels().dutch() == "A0");
  for (const char* matter : kMatters) {
    if (!random.Chance(60)) continue;
    auto* item = d.add_practical_matters();
    item->set_matter(matter);
    item->set_status(random.Pick(kStatus));
  }
  for (int i = random.Between(1, 2); i > 0; --i) d.add_goals(random.Pick(kGoals));
  d.set_network(random.Pick(kNetwork));
  d.set_debts_reported(random.Chance(10));
  d.set_last_contact_on(
      FormatCivilDate(Day(person.koppeling.expected_move_date()) - random.Between(1, 30)));
  person.social_guidance = std::move(d);
}

void GenerateRiskSignals(Random random, SyntheticPerson& person) {
  if (!random.Chance(25)) return;
  struct Kind {
    const char* type;
    const char* recipient;
  };
  static constexpr std::array<Kind, 5> kKinds{{
      {"financiele-problemen", "sociaal-wijkteam"},
      {"sociaal-isolement", "maatschappelijke-begeleiding"},
      {"zorgmijding", "huisarts"},
      {"veiligheid-thuis", "sociaal-wijkteam"},
      {"zorgen-opvoeding", "jgz"},
  }};
  const bool children = person.jgz.has_value();
  records::v1::coa::RiskSignal signals;
  signals.set_subject_id(person.v_number);
  const int64_t move = Day(person.koppeling.expected_move_date());
  for (int i = random.Between(1, 2); i > 0; --i) {
    const Kind& kind = random.Pick(kKinds);
    // Worries about upbringing only where there are children.
    if (std::string(kind.recipient) == "jgz" && !children) continue;
    auto* signal = signals.add_signals();
    signal->set_type(kind.type);
    signal->set_severity(random.Chance(20) ? "hoog" : (random.Chance(50) ? "midden" : "laag"));
    signal->set_recommended_recipient(kind.recipient);
    signal->set_raised_on(FormatCivilDate(move - random.Between(5, 40)));
    signal->set_coa_contact("casemanagement " + person.koppeling.azc_location());
    signal->set_context_note("besproken in het multidisciplinair overleg van de locatie");
  }
  if (signals.signals_size() > 0) person.risk_signals = std::move(signals);
}

}  // namespace ketenpoort::synthetic
