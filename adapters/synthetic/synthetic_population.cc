#include "adapters/synthetic/synthetic_population.h"

#include <sqlite3.h>

#include <array>
#include <filesystem>
#include <span>

#include "adapters/fixture/fixture_schema.h"
#include "gateway/common/civil_date.h"
#include "gateway/common/error.h"

namespace ketenpoort::synthetic {
namespace {

// SplitMix64: tiny, fast and identical on every platform (unlike the
// standard distributions, whose output is implementation-defined).
class Random {
 public:
  explicit Random(uint64_t state) : state_(state) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  int Between(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(int percent) { return Between(1, 100) <= percent; }
  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Next() % items.size()];
  }

 private:
  uint64_t state_;
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
  Random random(seed_ * 0x100000001b3ULL ^ (index + 1) * 0xff51afd7ed558ccdULL);
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
  // Linked in 2026; the move follows 6 to 14 weeks later.
  const int64_t linked_on = DaysFromCivil(2026, 1, 1) + random.Between(0, 300);
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
  return person;
}

absl::Status WriteFixtureDatabase(const std::string& path, uint64_t seed, uint64_t count) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  std::filesystem::remove(path + "-wal", ignored);
  std::filesystem::remove(path + "-shm", ignored);
  sqlite3* db = nullptr;
  auto fail = [&](std::string_view what) {
    absl::Status status = MakeError(absl::StatusCode::kUnavailable, "FIXTURE_WRITE_FAILED",
                                    "writing " + path + ": " + std::string(what) + ": " +
                                        (db ? sqlite3_errmsg(db) : "cannot open"));
    sqlite3_close(db);
    return status;
  };
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return fail("open");
  if (sqlite3_exec(db, adapters::kFixtureSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("schema");
  }
  if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("begin");
  sqlite3_stmt* subject = nullptr;
  sqlite3_stmt* record = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO subject VALUES (?1, ?2)", -1, &subject, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO record VALUES (?1, ?2, ?3)", -1, &record, nullptr);
  const SyntheticPopulation population(seed);
  bool ok = subject != nullptr && record != nullptr;
  std::string payload;
  auto insert_subject = [&](const std::string& id, uint64_t person) {
    sqlite3_reset(subject);
    sqlite3_bind_text(subject, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    sqlite3_bind_int64(subject, 2, static_cast<sqlite3_int64>(person));
    return sqlite3_step(subject) == SQLITE_DONE;
  };
  auto insert_record = [&](uint64_t person, const char* type,
                           const google::protobuf::Message& message) {
    message.SerializeToString(&payload);
    sqlite3_reset(record);
    sqlite3_bind_int64(record, 1, static_cast<sqlite3_int64>(person));
    sqlite3_bind_text(record, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_blob(record, 3, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
    return sqlite3_step(record) == SQLITE_DONE;
  };
  for (uint64_t i = 0; ok && i < count; ++i) {
    const SyntheticPerson person = population.Person(i);
    ok = insert_subject(person.v_number, i) &&
         (person.bsn.empty() || insert_subject(person.bsn, i)) &&
         insert_record(i, "coa.Koppeling", person.koppeling) &&
         insert_record(i, "noa.Assessment", person.assessment);
  }
  sqlite3_finalize(subject);
  sqlite3_finalize(record);
  if (!ok) return fail("insert");
  const std::string meta = "INSERT INTO meta VALUES ('seed', '" + std::to_string(seed) +
                           "'), ('persons', '" + std::to_string(count) + "')";
  if (sqlite3_exec(db, meta.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("meta");
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("commit");
  sqlite3_close(db);
  return absl::OkStatus();
}

}  // namespace ketenpoort::synthetic
