from sqlalchemy import Numeric
from sqlalchemy.orm import DeclarativeBase

from o2c_common.db import make_metadata

MONEY = Numeric(20, 6)
"""The column type of every amount: 20 digits, 6 after the point."""


class Base(DeclarativeBase):
    metadata = make_metadata()
