# Our own code builds with all warnings as errors; generated code does not
# (protoc's output is not ours to fix).
add_library(ketenpoort_warnings INTERFACE)
target_compile_options(ketenpoort_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
  -Wformat=2 -Wimplicit-fallthrough)
