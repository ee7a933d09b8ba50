"""What the operating system said, in the user's language (系统错误): ``strerror`` is English
whatever the locale, so a file that cannot be read or written is told in words from the one
catalogue (:mod:`gwcommon.catalogue`, keys ``os.*``).  A decision module: plain data.
"""

from __future__ import annotations

import errno

from gwcommon import catalogue

WORDS: dict[str, tuple[str, str]] = {
    "ENOENT": ("没有这个文件或目录", "No such file or directory"),
    "EACCES": ("没有权限", "Permission denied"),
    "EPERM": ("不允许这样操作", "Operation not permitted"),
    "ENOSPC": ("存储空间已满", "No space left on device"),
    "EROFS": ("存储卡是只读的", "Read-only file system"),
    "EISDIR": ("这是一个目录，不是文件", "Is a directory"),
    "ENOTDIR": ("路径中有一段不是目录", "Not a directory"),
    "EEXIST": ("已经存在", "File exists"),
    "EIO": ("读写出错（存储卡可能坏了）", "Input/output error"),
}
catalogue.contribute("os", WORDS, prefix="os.")


def said(exc: OSError, lang: str) -> str:
    """``exc``'s reason in ``lang``: the catalogue's words for its errno, else what the system said."""
    name = errno.errorcode.get(exc.errno or 0, "")
    return catalogue.t("os." + name, lang) if name in WORDS else (exc.strerror or str(exc))
