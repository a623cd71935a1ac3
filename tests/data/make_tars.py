#!/usr/bin/env python3
"""Writes the small archives test_tar_reader checks into DIR: valid GNU,
pax and ustar archives (long names, a name split into the ustar prefix, a
directory, links that stay inside) and hostile ones (.., absolute path,
symlink and hard link escaping the directory)."""
import io
import os
import sys
import tarfile


def add(tar, name, data=b"", kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mtime = 1_600_000_000
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    if kind == tarfile.REGTYPE:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    else:
        info.linkname = link
        tar.addfile(info)


def write(path, fmt, members):
    with tarfile.open(path, "w", format=fmt) as tar:
        for m in members:
            add(tar, *m)


out = sys.argv[1]
long_name = "data/test/" + "long_subject_name_" * 8 + "test.csv"  # > 100 bytes
prefix_name = "data/" + "d" * 60 + "/" + "e" * 50 + "/file.csv"     # fits prefix+name
good = [
    ("data", b"", tarfile.DIRTYPE),
    ("data/test/a.csv", b"q,1,2,3,4,A\n"),
    (long_name, b"x" * 1000),
    ("./data/dev/./b.csv", b"b" * 512),       # exactly one block
    ("data/empty.csv", b""),
    ("data/link", b"", tarfile.SYMTYPE, "test/a.csv"),
]
write(os.path.join(out, "good_gnu.tar"), tarfile.GNU_FORMAT, good)
write(os.path.join(out, "good_pax.tar"), tarfile.PAX_FORMAT,
      good + [("data/ünïcode_名前.csv", "héllo".encode())])
write(os.path.join(out, "good_ustar.tar"), tarfile.USTAR_FORMAT,
      [("data/test/a.csv", b"q,1,2,3,4,A\n"), (prefix_name, b"prefixed\n")])
write(os.path.join(out, "evil_dotdot.tar"), tarfile.GNU_FORMAT,
      [("data/ok.csv", b"ok\n"), ("data/../../evil_dotdot.txt", b"evil\n")])
write(os.path.join(out, "evil_abs.tar"), tarfile.GNU_FORMAT, [("/tmp/evalbench_evil_abs.txt", b"evil\n")])
write(os.path.join(out, "evil_symlink.tar"), tarfile.GNU_FORMAT,
      [("data/escape", b"", tarfile.SYMTYPE, "../../.."), ("data/escape/evil_symlink.txt", b"evil\n")])
write(os.path.join(out, "evil_abs_symlink.tar"), tarfile.GNU_FORMAT,
      [("data/etc", b"", tarfile.SYMTYPE, "/etc")])
write(os.path.join(out, "evil_hardlink.tar"), tarfile.GNU_FORMAT,
      [("data/h", b"", tarfile.LNKTYPE, "../outside.txt")])
