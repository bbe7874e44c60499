"""A file download's ``Content-Disposition`` whatever its name holds (a team called ``Équipe Nord``, a quote).

HTTP header values are Latin-1: a name with other characters made the response itself fail (a 500). The header
carries an ASCII ``filename`` for old clients and the exact name as RFC 6266 / RFC 8187 ``filename*``.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_UNSAFE = re.compile(r'[^A-Za-z0-9._ -]+')


def attachment(filename: str) -> str:
    """``attachment; filename="Equipe-Nord.csv"; filename*=UTF-8''%C3%89quipe%20Nord.csv``."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = _UNSAFE.sub("-", ascii_name).strip(" -") or "download"
    header = f'attachment; filename="{ascii_name}"'
    if ascii_name != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header
