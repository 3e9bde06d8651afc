#include "adapters/synthetic/synthetic_population.h"

#include <sqlite3.h>

#include <array>
#include <span>

#include "adapters/synthetic/random.h"
#include "adapters/synthetic/record_generators.h"
#include "gateway/common/civil_date.h"

namespace ketenpoort::synthetic {
namespace {

struct Municipality {
  const char* code;  // CBS gemeentecode
  const char* name;
};

struct Nationality {
  const char* country;
  std::array<const char*, 6> male;
  std::array<const char*, 6> female;
  std::array<const char*, 6> family;
  std::array<const char*, 2> languages;
};

constexpr std::array<Nationality, 7> kNationalities{{
    {"Syrië",
     {"Ahmad", "Omar", "Khaled", "Yousef", "Samer", "Bassel"},
     {"Rasha", "Lina", "Nour", "Yara", "Dima", "Hiba"},
     {"Haddad", "Khalil", "Darwish", "Nasser", "Sabbagh", "Halabi"},
     {"Arabisch", "Koerdisch"}},
    {"Eritrea",
     {"Yonas", "Mehari", "Tesfay", "Filmon", "Dawit", "Robel"},
     {"Senait", "Selam", "Helen", "Luwam", "Saba", "Rahel"},
     {"Tekle", "Haile", "Berhane", "Gebremariam", "Kidane", "Asfaha"},
     {"Tigrinya", "Arabisch"}},
    {"Afghanistan",
     {"Farid", "Hamid", "Jawad", "Naveed", "Sohail", "Wahid"},
     {"Mariam", "Zahra", "Parwana", "Shabnam", "Freshta", "Nilofar"},
     {"Rahimi", "Sultani", "Karimi", "Popal", "Amiri", "Noori"},
     {"Dari", "Pashto"}},
    {"Irak",
     {"Hussein", "Mustafa", "Haider", "Karrar", "Ammar", "Sajjad"},
     {"Zainab", "Fatima", "Noor", "Rusul", "Tabarak", "Ruqaya"},
     {"Kareem", "Jabbar", "Saadi", "Obaidi", "Tamimi", "Rubaie"},
     {"Arabisch", "Koerdisch"}},
    {"Iran",
     {"Reza", "Mehdi", "Amir", "Babak", "Kian", "Navid"},
     {"Shirin", "Parisa", "Leila", "Maryam", "Nasrin", "Roya"},
     {"Hosseini", "Moradi", "Rezaei", "Jafari", "Ahmadi", "Karimzadeh"},
     {"Farsi", "Azerbeidzjaans"}},
    {"Somalië",
     {"Abdi", "Mahad", "Abdirahman", "Liban", "Mohamud", "Bashir"},
     {"Hodan", "Faadumo", "Hibo", "Sagal", "Ubah", "Ifrah"},
     {"Warsame", "Farah", "Jama", "Abdullahi", "Osman", "Egal"},
     {"Somalisch", "Arabisch"}},
    {"Turkije",
     {"Emre", "Mehmet", "Burak", "Can", "Serkan", "Murat"},
     {"Elif", "Ayse", "Zeynep", "Merve", "Esra", "Derya"},
     {"Yilmaz", "Kaya", "Demir", "Celik", "Aydin", "Ozturk"},
     {"Turks", "Koerdisch"}},
}};

constexpr std::array<Municipality, 8> kMunicipalities{{
    {"0632", "Woerden"},
    {"0344", "Utrecht"},
    {"0307", "Amersfoort"},
    {"0355", "Zeist"},
    {"0356", "Nieuwegein"},
    {"0321", "Houten"},
    {"0353", "IJsselstein"},
    {"0310", "De Bilt"},
}};

constexpr std::array<const char*, 6> kAzcLocations{"AZC Utrecht",  "AZC Amersfoort", "AZC Zeist",
                                                   "AZC Ter Apel", "AZC Budel",      "AZC Leersum"};
constexpr std::array<const char*, 7> kCefr{"A0", "A1", "A2", "B1", "B2", "C1", "C2"};
constexpr std::array<const char*, 10> kOccupations{
    "timmerman", "kapper", "verpleegkundige", "leraar",    "monteur",
    "kok",       "boer",   "elektricien",     "chauffeur", "boekhouder"};
constexpr std::array<const char*, 8> kStudyFields{"techniek", "zorg",    "onderwijs", "economie",
                                                  "landbouw", "rechten", "ICT",       "talen"};
constexpr std::array<const char*, 6> kCompetences{"samenwerken",         "plannen",
                                                  "klantgericht werken", "vakmanschap",
                                                  "leervermogen",        "zelfstandig werken"};
constexpr std::array<const char*, 4> kJobSearch{"actief", "afwachtend", "gericht",
                                                "nog niet gestart"};
constexpr std::array<const char*, 5> kPlans{
    "eigen bedrijf starten", "opleiding afmaken", "werken in de zorg",
    "Nederlands leren en dan werk zoeken", "studeren aan een hogeschool"};

template <typename T, size_t N>
std::span<const T> Span(const std::array<T, N>& items) {
  return std::span<const T>(items);
}

// A V-nummer unique per index: 10 digits starting with 2.
std::string VNumber(uint64_t seed, uint64_t index) {
  const uint64_t body = (index * 7919 + seed * 104729) % 1000000000ULL;
  std::string digits = std::to_string(body);
  return "2" + std::string(9 - digits.size(), '0') + digits;
}

// A child's V-nummer: 10 digits starting with 3, unique per (index, child).
std::string ChildVNumber(uint64_t seed, uint64_t index, int child) {
  const uint64_t body =
      ((index * 8 + static_cast<uint64_t>(child)) * 7919 + seed * 104729) % 1000000000ULL;
  std::string digits = std::to_string(body);
  return "3" + std::string(9 - digits.size(), '0') + digits;
}

// A BSN unique per index, or "" when the prefix has no valid check digit
// (about one in eleven: those persons are not yet registered).
std::string Bsn(uint64_t seed, uint64_t index) {
  const uint64_t prefix = 10000000 + (index * 7907 + seed * 31) % 90000000ULL;
  const std::string digits = std::to_string(prefix);
  int sum = 0;
  for (size_t i = 0; i < 8; ++i) sum += (digits[i] - '0') * static_cast<int>(9 - i);
  const int check = sum % 11;
  if (check == 10) return "";
  return digits + static_cast<char>('0' + check);
}

}  // namespace

SyntheticPerson SyntheticPopulation::Person(uint64_t index) const {
  Random random = Random::For(seed_, index, kStreamPerson);
  SyntheticPerson person;
  person.v_number = VNumber(seed_, index);
  person.bsn = Bsn(seed_, index);

  const Nationality& nationality = random.Pick(Span(kNationalities));
  const bool female = random.Chance(45);
  const auto& given = female ? nationality.female : nationality.male;
  const char* family_name = random.Pick(Span(nationality.family));
  const int64_t born =
      DaysFromCivil(random.Between(1965, 2004), random.Between(1, 12), random.Between(1, 28));
  const Municipality& municipality = random.Pick(Span(kMunicipalities));
  // Linked between March 2023 and the end of 2026, so the population holds
  // every stage of inburgering; the move follows 6 to 14 weeks later.
  const int64_t linked_on = DaysFromCivil(2023, 3, 1) + random.Between(0, 1400);
  const int64_t move = linked_on + random.Between(42, 98);

  auto& k = person.koppeling;
  k.set_subject_id(person.v_number);
  k.set_family_name(family_name);
  k.set_given_names(random.Pick(Span(given)));
  k.set_date_of_birth(FormatCivilDate(born));
  k.set_nationality(nationality.country);
  k.set_municipality_code(municipality.code);
  k.set_municipality_name(municipality.name);
  k.set_linked_on(FormatCivilDate(linked_on));
  k.set_expected_move_date(FormatCivilDate(move));
  k.set_azc_location(random.Pick(Span(kAzcLocations)));

  auto* household = k.mutable_household();
  if (random.Chance(50)) {
    auto* partner = household->add_members();
    partner->set_given_names(random.Pick(Span(female ? nationality.male : nationality.female)));
    partner->set_relation("partner");
    partner->set_date_of_birth(FormatCivilDate(born + random.Between(-1500, 1500)));
    // Family reunification: the partner follows later (nareiziger).
    partner->set_nareiziger(random.Chance(40));
    if (partner->nareiziger()) {
      partner->set_expected_arrival(FormatCivilDate(move + random.Between(30, 240)));
    }
    const int children = random.Between(0, 4);
    for (int c = 0; c < children; ++c) {
      auto* child = household->add_members();
      child->set_given_names(random.Chance(50) ? random.Pick(Span(nationality.male))
                                               : random.Pick(Span(nationality.female)));
      child->set_relation("kind");
      child->set_date_of_birth(
          FormatCivilDate(DaysFromCivil(2026, 1, 1) - random.Between(200, 6200)));
      child->set_nareiziger(partner->nareiziger() && random.Chance(70));
      child->set_v_number(ChildVNumber(seed_, index, c));
    }
  }
  household->set_size(1 + household->members_size());

  auto& a = person.assessment;
  a.set_subject_id(person.v_number);
  a.set_assessed_on(FormatCivilDate(linked_on + random.Between(7, 28)));
  auto* background = a.mutable_personal_background();
  background->set_country_of_origin(nationality.country);
  background->add_languages_spoken(nationality.languages[0]);
  if (random.Chance(40)) background->add_languages_spoken(nationality.languages[1]);
  background->set_self_reliance(random.Between(1, 5));
  a.set_ptsd_score(random.Between(0, 80));
  a.set_emotional_stability_score(random.Between(0, 100));
  a.mutable_language_levels()->set_dutch(kCefr[static_cast<size_t>(random.Between(0, 2))]);
  a.mutable_language_levels()->set_english(kCefr[static_cast<size_t>(random.Between(0, 5))]);
  a.set_learnability_score(random.Between(20, 100));
  a.mutable_work_motivation()->set_motivation_score(random.Between(1, 10));
  a.mutable_work_motivation()->set_job_search_behaviour(random.Pick(Span(kJobSearch)));
  auto* personality = a.mutable_personality();
  personality->set_openness(random.Between(0, 100));
  personality->set_conscientiousness(random.Between(0, 100));
  personality->set_extraversion(random.Between(0, 100));
  personality->set_agreeableness(random.Between(0, 100));
  personality->set_resilience(random.Between(0, 100));
  for (int i = random.Between(1, 3); i > 0; --i) {
    auto* competence = a.add_competences();
    competence->set_name(random.Pick(Span(kCompetences)));
    competence->set_level(random.Between(1, 5));
  }
  for (int i = random.Between(0, 2); i > 0; --i) {
    auto* job = a.add_work_experience();
    job->set_occupation(random.Pick(Span(kOccupations)));
    job->set_country(nationality.country);
    job->set_years(random.Between(1, 15));
  }
  auto* education = a.add_education();
  education->set_level("ISCED " + std::to_string(random.Between(1, 7)));
  education->set_field(random.Pick(Span(kStudyFields)));
  education->set_country(nationality.country);
  education->set_completed(random.Chance(70));
  a.set_plans_for_future(random.Pick(Span(kPlans)));

  // Arrival in Ter Apel, 2 to 13 months before the koppeling.
  person.arrived_on =
      FormatCivilDate(linked_on - Random::For(seed_, index, kStreamArrival).Between(60, 400));

  GenerateMedicalDossier(Random::For(seed_, index, kStreamMedical), person);
  GenerateTbcScreening(Random::For(seed_, index, kStreamTbc), person);
  GenerateVaccinations(Random::For(seed_, index, kStreamVaccinations), person);
  GenerateJgzDossier(Random::For(seed_, index, kStreamJgz), person);
  GenerateVoorinburgering(Random::For(seed_, index, kStreamVoorinburgering), person);
  GenerateInburgeringStatus(Random::For(seed_, index, kStreamInburgering), person);
  GenerateSocialGuidance(Random::For(seed_, index, kStreamSocialGuidance), person);
  GenerateRiskSignals(Random::For(seed_, index, kStreamRiskSignals), person);
  return person;
}

int64_t Day(const std::string& iso_date) { return ParseCivilDate(iso_date).value_or(0); }
int64_t AsOfDay() { return Day(kFixtureAsOf); }

}  // namespace ketenpoort::synthetic
