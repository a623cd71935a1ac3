# cmake -DIN=file -DOUT=file.c -P embed.cmake: IN as a NUL-terminated C array.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE ${OUT} "/* Generated from zygote.py by embed.cmake. */\nconst char eb_zygote_py[] = {${body}0x00};\n")
