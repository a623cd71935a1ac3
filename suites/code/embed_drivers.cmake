# Turns the Python drivers in DIR into C byte arrays in OUT, so the library
# carries them and needs no files at run time.
# Usage: cmake -DDIR=... -DOUT=... -DNAMES="a;b" -P embed_drivers.cmake
set(text "/* Generated from the Python files in suites/code/drivers by embed_drivers.cmake; do not edit. */\n")
string(APPEND text "#include \"code_drivers.h\"\n\n")
foreach(name ${NAMES})
  file(READ "${DIR}/${name}.py" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
  string(APPEND text "const char eb_code_driver_${name}[] = {\n${bytes}0x00};\n\n")
endforeach()
file(WRITE "${OUT}.tmp" "${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
