// OpenSSL must outlive every thread that uses it. gRPC's threads do TLS
// work until the process ends, and some of them outlive main().
#ifndef KETENPOORT_GATEWAY_COMMON_OPENSSL_LIFETIME_H_
#define KETENPOORT_GATEWAY_COMMON_OPENSSL_LIFETIME_H_

namespace ketenpoort {

// Turns off OpenSSL's cleanup at exit; call first thing in main(), before
// anything else touches OpenSSL. That cleanup tears down OpenSSL's
// per-thread bookkeeping while gRPC threads may still run: a thread that
// ends afterwards leaks its state (seen as LeakSanitizer reports), and one
// that still uses OpenSSL touches freed memory. The kernel reclaims all of
// it at exit instead. False if OpenSSL could not be initialised.
bool KeepOpenSslUntilProcessExit();

}  // namespace ketenpoort

#endif  // KETENPOORT_GATEWAY_COMMON_OPENSSL_LIFETIME_H_
