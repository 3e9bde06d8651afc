# The server binaries link tcmalloc (gperftools) when it is installed: gRPC
# allocates heavily per call, and glibc's malloc and free were 5% of the
# gateway's CPU under load. An interleaved A/B run saved 6% CPU per call
# (docs/performance.md). Not under the sanitizers, which bring their own
# allocator; -DKETENPOORT_TCMALLOC=OFF for valgrind or heaptrack runs.
option(KETENPOORT_TCMALLOC "Link the servers with tcmalloc_minimal when it is installed" ON)

if(KETENPOORT_TCMALLOC AND NOT KETENPOORT_SANITIZE AND NOT KETENPOORT_TSAN)
  # Debian's runtime package has only the versioned name; -dev adds the other.
  find_library(KETENPOORT_TCMALLOC_LIBRARY NAMES tcmalloc_minimal libtcmalloc_minimal.so.4)
  if(NOT KETENPOORT_TCMALLOC_LIBRARY)
    message(WARNING "tcmalloc_minimal not found (libtcmalloc-minimal4): servers use glibc malloc")
  endif()
endif()

function(ketenpoort_link_allocator target)
  if(KETENPOORT_TCMALLOC AND NOT KETENPOORT_SANITIZE AND NOT KETENPOORT_TSAN AND KETENPOORT_TCMALLOC_LIBRARY)
    target_link_libraries(${target} PRIVATE ${KETENPOORT_TCMALLOC_LIBRARY})
  endif()
endfunction()
