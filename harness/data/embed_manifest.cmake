# Turns manifest.tsv into a C array so the binary carries its manifest and
# works from any directory.  Run with -DIN=... -DOUT=...
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR n "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}"
  "/* Generated from harness/data/manifest.tsv; do not edit. */\n"
  "#include <stddef.h>\n"
  "const unsigned char eb_data_manifest_tsv[] = {${bytes} 0x00};\n"
  "const size_t eb_data_manifest_tsv_len = ${n};\n")
