# -DKETENPOORT_SANITIZE=ON builds everything (tests included) with ASan+UBSan.
# -DKETENPOORT_TSAN=ON builds everything with ThreadSanitizer instead.
# -DKETENPOORT_FUZZ=ON (clang only) adds the libFuzzer targets in fuzz/,
# with the same sanitizers as the rest of the build.
option(KETENPOORT_TSAN "Build with ThreadSanitizer" OFF)
option(KETENPOORT_FUZZ "Build the libFuzzer targets (clang)" OFF)
if(KETENPOORT_SANITIZE AND KETENPOORT_TSAN)
  message(FATAL_ERROR "KETENPOORT_SANITIZE and KETENPOORT_TSAN cannot be combined")
endif()
if(KETENPOORT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(KETENPOORT_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
if(KETENPOORT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "KETENPOORT_FUZZ needs clang: CXX=clang++ CC=clang")
  endif()
  # Coverage feedback everywhere; only the fuzz targets get libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
