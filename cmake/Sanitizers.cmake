# -DKETENPOORT_SANITIZE=ON builds everything (tests included) with ASan+UBSan.
if(KETENPOORT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
