from sqlalchemy.orm import DeclarativeBase

from o2c_common.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()
