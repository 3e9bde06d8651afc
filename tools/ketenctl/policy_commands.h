// `ketenctl policy test` and `ketenctl policy explain`: offline, against a
// policy directory.
#ifndef KETENPOORT_TOOLS_KETENCTL_POLICY_COMMANDS_H_
#define KETENPOORT_TOOLS_KETENCTL_POLICY_COMMANDS_H_

#include <string>

namespace ketenpoort::ketenctl {

// Runs every policies/tests/*.yaml case; prints one line per case and a
// closing "N passed, N failed" line. Exit code 0 only if all pass.
int RunPolicyTest(const std::string& policies_dir, const std::string& tests_dir);

// Explains the case named `case_name` (or every case) in `case_file`.
int RunPolicyExplain(const std::string& policies_dir, const std::string& case_file,
                     const std::string& case_name);

}  // namespace ketenpoort::ketenctl

#endif  // KETENPOORT_TOOLS_KETENCTL_POLICY_COMMANDS_H_
