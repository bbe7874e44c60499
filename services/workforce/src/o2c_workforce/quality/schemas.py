from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_workforce.processes import Process
from o2c_workforce.quality.models import Period, SampleStatus, SamplingMode

Code = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.-]+$")


class RuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"process": "invoice_preparation", "mode": "rate", "rate_percent": "10", "boost": 3},
        {"process": "cash_application", "team": "vendor-a", "mode": "count", "count": 5, "period": "week"}]})

    process: Process
    team: str | None = Field(default=None, max_length=64)
    agent: str | None = Field(default=None, max_length=128, description="An agent's login.")
    mode: SamplingMode
    rate_percent: Decimal | None = Field(default=None, gt=0, le=100, max_digits=5, decimal_places=2)
    count: int | None = Field(default=None, ge=1, le=10000)
    period: Period = Period.DAY
    boost: int = Field(default=2, ge=1, le=10, description="Multiplier for agents on a plan or in hypercare.")

    @model_validator(mode="after")
    def _mode(self) -> RuleCreate:
        if self.mode == SamplingMode.RATE and (self.rate_percent is None or self.count is not None):
            raise ValueError("a rate rule gives rate_percent and no count")
        if self.mode == SamplingMode.COUNT and (self.count is None or self.rate_percent is not None):
            raise ValueError("a count rule gives count and no rate_percent")
        return self


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    process: str
    team: str | None = Field(validation_alias="owning_team")
    agent: str | None
    mode: SamplingMode
    rate_percent: Decimal | None
    count: int | None
    period: Period
    boost: int
    active: bool


class ChecklistItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Code
    text: str = Field(min_length=1, max_length=500)
    weight: int = Field(default=1, ge=1, le=100)


class DefectType(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Code
    category: Literal["data", "compliance", "customer_impact", "process", "communication"]
    label: str = Field(min_length=1, max_length=200)
    severity: Literal["minor", "major", "critical"] = "major"
    training: bool = Field(default=True, description="A defect of this type creates a training need.")


class ChecklistWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "items": [{"code": "po_matches", "text": "PO number matches the customer's PO", "weight": 3},
                  {"code": "tax_correct", "text": "Tax computed for the ship-to jurisdiction", "weight": 2}],
        "defects": [{"code": "wrong_po", "category": "data", "label": "Wrong or missing PO", "severity": "major"}]}]})

    items: list[ChecklistItem] = Field(min_length=1, max_length=100)
    defects: list[DefectType] = Field(default=[], max_length=200)
    sop_code: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _unique(self) -> ChecklistWrite:
        for name, codes in (("items", [i.code for i in self.items]), ("defects", [d.code for d in self.defects])):
            if len(set(codes)) != len(codes):
                raise ValueError(f"{name} codes must be unique")
        return self


class ChecklistRead(ChecklistWrite):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    process: str
    version: int


class DefectFound(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    note: str | None = Field(default=None, max_length=2000)


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "answers": {"po_matches": False, "tax_correct": True},
        "defects": [{"code": "wrong_po", "note": "PO 4500012 belongs to another ship-to"}]}]})

    answers: dict[str, bool] = Field(description="Checklist item code → passed; every item answered.")
    defects: list[DefectFound] = []


class SampleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    work_item_id: uuid.UUID
    process: str
    agent: str
    team: str | None = Field(validation_alias="owning_team")
    boosted: bool
    sampled_at: datetime
    status: SampleStatus
    answers: dict[str, bool] | None
    defects: list[DefectFound] | None
    score: Decimal | None
    reviewer: str | None
    reviewed_at: datetime | None
    version: int


class QualityScore(BaseModel):
    level: Literal["agent", "team", "vendor"]
    key: str
    name: str
    reviewed: int
    score: Decimal | None = Field(description="Average review score, percent of checklist weight passed.")
    score_text: str
    defects: dict[str, int] = Field(description="Defects found, by code, most frequent first.")


class FirstPass(BaseModel):
    level: Literal["agent", "team", "vendor"]
    key: str
    submitted: int = Field(description="Invoices prepared whose first submission has a portal verdict.")
    accepted: int
    rate: Decimal | None = Field(description="Percent accepted at the first submission.")
    rate_text: str
    rejection_reasons: dict[str, int]
