// Synthetic GCA and GGD records: the medical dossier, TBC screening,
// vaccinations and the children's JGZ dossiers.
#include <algorithm>
#include <array>
#include <string>

#include "adapters/synthetic/record_generators.h"
#include "gateway/common/civil_date.h"

namespace ketenpoort::synthetic {
namespace {

struct Condition {
  const char* icpc;
  const char* description;
  // Medication that goes with it, or nullptr.
  const char* atc;
  const char* medicine;
  const char* dosage;
};

constexpr std::array<Condition, 10> kConditions{{
    {"L03", "lage rugklachten", "N02BE01", "paracetamol", "zo nodig 3dd 1000 mg"},
    {"T90", "diabetes mellitus type 2", "A10BA02", "metformine", "2dd 500 mg"},
    {"K86", "hypertensie", "C09AA02", "enalapril", "1dd 10 mg"},
    {"R96", "astma", "R03AC02", "salbutamol", "zo nodig 100 mcg"},
    {"D84", "refluxklachten", "A02BC01", "omeprazol", "1dd 20 mg"},
    {"P06", "slaapproblemen", nullptr, nullptr, nullptr},
    {"N01", "hoofdpijn", "N02BE01", "paracetamol", "zo nodig 3dd 500 mg"},
    {"S88", "eczeem", "D07AB02", "hydrocortisonbutyraat", "1dd dun aanbrengen"},
    {"B80", "ijzergebrekanemie", "B03AA07", "ferrofumaraat", "1dd 200 mg"},
    {"F91", "refractieafwijking", nullptr, nullptr, nullptr},
}};

constexpr std::array<const char*, 5> kAllergens{"penicilline", "noten", "pollen", "latex",
                                                "huisstofmijt"};
constexpr std::array<const char*, 4> kReactions{"huiduitslag", "benauwdheid", "jeuk", "zwelling"};
constexpr std::array<const char*, 4> kAids{"bril", "rollator", "gehoorapparaat", "steunzolen"};
constexpr std::array<const char*, 5> kSpecialisms{"interne geneeskunde", "orthopedie",
                                                  "oogheelkunde", "KNO", "cardiologie"};
constexpr std::array<const char*, 4> kGgzProviders{"i-psy", "Centrum '45", "GGZ Centraal",
                                                   "Altrecht"};

// Countries whose people get half-yearly TBC follow-up after arrival.
bool HighTbcIncidence(const std::string& country) {
  return country == "Eritrea" || country == "Somalië" || country == "Afghanistan";
}

}  // namespace

void GenerateMedicalDossier(Random random, SyntheticPerson& person) {
  const auto& k = person.koppeling;
  auto& d = person.medical;
  d.set_subject_id(person.v_number);
  d.set_family_name(k.family_name());
  d.set_given_names(k.given_names());
  d.set_date_of_birth(k.date_of_birth());
  d.set_gca_practice("GCA " + k.azc_location().substr(4));
  const int64_t linked = Day(k.linked_on());
  const int64_t move = Day(k.expected_move_date());
  for (int i = random.Between(0, 3); i > 0; --i) {
    const Condition& condition = random.Pick(kConditions);
    const int64_t since = linked - random.Between(0, 400);
    auto* problem = d.add_active_problems();
    problem->set_icpc_code(condition.icpc);
    problem->set_description(condition.description);
    problem->set_since(FormatCivilDate(since));
    if (condition.atc != nullptr) {
      auto* medication = d.add_medication();
      medication->set_atc_code(condition.atc);
      medication->set_name(condition.medicine);
      medication->set_dosage(condition.dosage);
      medication->set_since(FormatCivilDate(since + random.Between(0, 30)));
    }
  }
  if (random.Chance(15)) {
    auto* allergy = d.add_allergies();
    allergy->set_substance(random.Pick(kAllergens));
    allergy->set_reaction(random.Pick(kReactions));
    allergy->set_severity(random.Chance(80) ? "licht" : "ernstig");
  }
  // A high PTSD score in the NOA often comes with GGZ treatment.
  const int ptsd = person.assessment.ptsd_score();
  if (ptsd >= 40 && random.Chance(60)) {
    auto* ggz = d.mutable_ggz_treatment();
    ggz->set_in_treatment(true);
    ggz->set_provider(random.Pick(kGgzProviders));
    ggz->set_since(FormatCivilDate(linked - random.Between(0, 200)));
    ggz->set_summary("traumabehandeling, EMDR");
    auto* medication = d.add_medication();
    medication->set_atc_code("N06AB06");
    medication->set_name("sertraline");
    medication->set_dosage("1dd 50 mg");
    medication->set_since(ggz->since());
  } else {
    d.mutable_ggz_treatment()->set_in_treatment(false);
  }
  if (random.Chance(10)) {
    auto* aid = d.add_aid_indications();
    aid->set_aid(random.Pick(kAids));
    aid->set_indicated_on(FormatCivilDate(linked - random.Between(0, 200)));
    aid->set_valid_until(FormatCivilDate(move + random.Between(180, 720)));
  }
  if (random.Chance(20)) {
    auto* referral = d.add_referrals();
    referral->set_specialism(random.Pick(kSpecialisms));
    referral->set_reason("beoordeling door specialist");
    referral->set_referred_on(FormatCivilDate(move - random.Between(10, 90)));
    referral->set_status(random.Chance(50) ? "lopend" : "verwezen");
  }
  d.set_last_consult_on(FormatCivilDate(move - random.Between(3, 60)));
}

void GenerateTbcScreening(Random random, SyntheticPerson& person) {
  auto& t = person.tbc;
  t.set_subject_id(person.v_number);
  const int64_t arrived = Day(person.arrived_on);
  t.set_screened_on(FormatCivilDate(arrived + random.Between(0, 6)));
  t.set_method("thoraxfoto");
  const int roll = random.Between(1, 100);
  t.set_result(roll <= 93 ? "geen aanwijzingen"
                          : (roll <= 99 ? "latente tbc-infectie" : "actieve tbc"));
  if (t.result() == "geen aanwijzingen") {
    t.set_treatment_status("geen");
  } else {
    const bool finished = AsOfDay() - arrived > 270 && random.Chance(70);
    t.set_treatment_status(finished ? "afgerond" : "in behandeling");
  }
  // Half-yearly follow-up for two years after arrival.
  t.set_follow_up_required(HighTbcIncidence(person.koppeling.nationality()));
  if (t.follow_up_required()) {
    for (int round = 1; round <= 4; ++round) {
      auto* follow_up = t.add_follow_up();
      const int64_t due = arrived + 182 * round;
      follow_up->set_due_on(FormatCivilDate(due));
      if (due <= AsOfDay() && random.Chance(92)) {
        follow_up->set_done_on(FormatCivilDate(due + random.Between(-14, 21)));
        follow_up->set_result("geen aanwijzingen");
      }
    }
  }
}

void GenerateVaccinations(Random random, SyntheticPerson& person) {
  auto& v = person.vaccinations;
  v.set_subject_id(person.v_number);
  const int64_t arrived = Day(person.arrived_on);
  int given = 0;
  for (const char* vaccine : {"DKTP", "BMR", "hepatitis B"}) {
    const int doses = random.Between(0, 2);
    for (int dose = 1; dose <= doses; ++dose, ++given) {
      auto* vaccination = v.add_vaccinations();
      vaccination->set_vaccine(vaccine);
      vaccination->set_dose(dose);
      vaccination->set_given_on(FormatCivilDate(arrived + 14 + 60 * (dose - 1)));
    }
  }
  v.set_programme_status(given >= 5 ? "volledig" : (given == 0 ? "onbekend" : "onvolledig"));
}

void GenerateJgzDossier(Random random, SyntheticPerson& person) {
  static constexpr std::array<const char*, 4> kDevelopment{"leeftijdsadequaat", "leeftijdsadequaat",
                                                           "achterstand taalontwikkeling",
                                                           "achterstand motoriek"};
  static constexpr std::array<const char*, 5> kAttention{"taalontwikkeling volgen", "groei volgen",
                                                         "psychosociaal welbevinden",
                                                         "gebitsverzorging", "aanmelding school"};
  const int64_t move = Day(person.koppeling.expected_move_date());
  records::v1::ggd::JgzDossier dossier;
  dossier.set_subject_id(person.v_number);
  for (const auto& member : person.koppeling.household().members()) {
    // Only children living in the AZC have been seen by its JGZ.
    if (member.relation() != "kind" || member.nareiziger()) continue;
    auto* child = dossier.add_children();
    child->set_v_number(member.v_number());
    child->set_given_names(member.given_names());
    child->set_date_of_birth(member.date_of_birth());
    const int64_t born = Day(member.date_of_birth());
    for (int i = random.Between(1, 3); i > 0; --i) {
      const int64_t measured = move - random.Between(7, 180);
      const int64_t age_days = std::max<int64_t>(30, measured - born);
      auto* growth = child->add_growth();
      growth->set_measured_on(FormatCivilDate(measured));
      // Roughly along a growth curve, with some spread.
      const double years = static_cast<double>(age_days) / 365.25;
      const double length = years < 2 ? 50 + 18 * years : 86 + 6 * (years - 2);
      const double kilos = years < 2 ? 3.5 + 4 * years : 11.5 + 2.3 * (years - 2);
      growth->set_length_cm(static_cast<int>(length) + random.Between(-3, 3));
      growth->set_weight_grams(static_cast<int>(kilos * 1000) + random.Between(-800, 800));
    }
    child->set_development(random.Pick(kDevelopment));
    child->set_vaccination_status(random.Chance(70) ? "volgens RVP" : "inhaalschema loopt");
    for (int i = random.Between(0, 2); i > 0; --i) {
      child->add_attention_points(random.Pick(kAttention));
    }
    child->set_last_contact_on(FormatCivilDate(move - random.Between(7, 120)));
  }
  if (dossier.children_size() > 0) person.jgz = std::move(dossier);
}

}  // namespace ketenpoort::synthetic
