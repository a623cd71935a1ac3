# eb_embed_files(OUTPUT_C SYMBOL FILE [SYMBOL FILE ...])
# Compiles files into the binary (schemas, manifests, the Python programs the
# sandbox runs) so that evalbench needs nothing beside itself at run time.
# The C file is regenerated whenever one of the files changes.
set(EB_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_files.cmake)

function(eb_embed_files output)
  set(pairs)
  set(deps)
  set(args ${ARGN})
  list(LENGTH args n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE 0 ${last} 2)
    math(EXPR j "${i} + 1")
    list(GET args ${i} symbol)
    list(GET args ${j} path)
    list(APPEND pairs "${symbol}=${path}")
    list(APPEND deps ${path})
  endforeach()
  string(REPLACE ";" "\\;" pairs_arg "${pairs}")
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DOUT=${output} -DPAIRS=${pairs_arg} -P ${EB_EMBED_SCRIPT}
    DEPENDS ${deps} ${EB_EMBED_SCRIPT}
    COMMENT "Embedding ${deps}"
    VERBATIM)
endfunction()
