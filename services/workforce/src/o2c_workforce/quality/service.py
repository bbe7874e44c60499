"""Quality review: sampling rules pick completed items, reviewers score them on the process's checklist with a
defect taxonomy, defects create training needs; scores and first-pass acceptance per agent, team and vendor."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

from o2c_common.entities import keyset_page
from o2c_common.errors import Conflict, NotFound, ValidationFailed
from o2c_common.events.contracts.workforce import DefectType, QualityReviewed, QualitySampleTaken
from o2c_common.http import Page, PageRequest
from o2c_common.text import measure
from o2c_common.tx import Tx
from o2c_workforce.hypercare import repository as hypercare_repository
from o2c_workforce.improvement import repository as improvement_repository
from o2c_workforce.org import repository as org_repository
from o2c_workforce.org.models import Agent
from o2c_workforce.org.service import scoped_team
from o2c_workforce.quality import repository, sampling
from o2c_workforce.quality.models import Checklist, Sample, SampleStatus, SamplingRule
from o2c_workforce.quality.schemas import (
    ChecklistRead,
    ChecklistWrite,
    FirstPass,
    QualityScore,
    ReviewCreate,
    RuleCreate,
    RuleRead,
    SampleRead,
)
from o2c_workforce.training.service import assign_for_defect
from o2c_workforce.work.models import WorkItem

HUNDRED = Decimal(100)


async def create_rule(tx: Tx, data: RuleCreate) -> SamplingRule:
    rule = await repository.add(tx.session, SamplingRule(
        id=uuid.uuid4(), process=data.process, owning_team=data.team, agent=data.agent, mode=data.mode,
        rate_percent=data.rate_percent, count=data.count, period=data.period, boost=data.boost, active=True))
    await tx.audit("sampling_rule.created", entity_type="sampling_rule", entity_id=rule.id,
                   after=RuleRead.model_validate(rule))
    return rule


async def list_rules(tx: Tx) -> list[SamplingRule]:
    return await repository.rules(tx.session, active=False)


async def put_checklist(tx: Tx, process: str, data: ChecklistWrite) -> Checklist:
    row = await repository.checklist(tx.session, process, for_update=True)
    before = ChecklistRead.model_validate(row) if row else None
    values = data.model_dump()
    if row is None:
        row = await repository.add(tx.session, Checklist(process=process, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
        await tx.session.flush()
    await tx.audit("checklist.put", entity_type="checklist", entity_id=process, before=before, after=data)
    return row


async def get_checklist(tx: Tx, process: str) -> Checklist:
    row = await repository.checklist(tx.session, process)
    if row is None:
        raise NotFound(f"process {process} has no review checklist")
    return row


async def sampling_rules(tx: Tx, *, process: str) -> list[SamplingRule]:
    """The active sampling rules of ``process`` (read once per batch by a consumer recording many items)."""
    return await repository.rules(tx.session, process=process)


async def maybe_sample(tx: Tx, item: WorkItem, agent: Agent | None,
                       rules: list[SamplingRule] | None = None) -> Sample | None:
    """Pick the completed item for review when its most specific sampling rule (of ``rules`` when the caller read
    them: :func:`sampling_rules`) says so."""
    if item.agent is None or item.completed_at is None:
        return None
    team = item.owning_team or (agent.owning_team if agent else None)
    if rules is None:
        rules = await sampling_rules(tx, process=item.process)
    rule = sampling.most_specific(rules, agent=item.agent, team=team)
    if rule is None:
        return None
    factor = await _factor(tx, agent, rule, process=item.process, on=item.completed_at)
    boosted = factor > 1
    start = sampling.period_start(item.completed_at.date(), rule.period)
    taken = await repository.taken_between(tx.session, process=item.process, agent=item.agent, since=_at(start),
                                           until=_at(sampling.period_end(start, rule.period)))
    if not sampling.picks(rule, item_key=item.item_key, factor=factor, taken_in_period=taken):
        return None
    sample = await repository.add(tx.session, Sample(
        id=uuid.uuid4(), work_item_id=item.id, process=item.process, agent=item.agent, owning_team=team,
        rule_id=rule.id, boosted=boosted, sampled_at=tx.now(), status=SampleStatus.PENDING))
    await tx.audit("quality.sample_taken", entity_type="quality_sample", entity_id=sample.id,
                   after=SampleRead.model_validate(sample))
    await tx.emit(QualitySampleTaken(sample_id=sample.id, process=item.process, item_key=item.item_key,
                                     agent=item.agent, team=team, boosted=boosted, sampled_at=sample.sampled_at))
    return sample


async def _factor(tx: Tx, agent: Agent | None, rule: SamplingRule, *, process: str, on: datetime) -> int:
    """How many times the rule samples this agent's work: the rule's boost on an improvement plan, a running
    hypercare window's boost for its team and process (the higher of the two), else 1."""
    if agent is None:
        return 1
    factors = [1]
    if await improvement_repository.on_plan(tx.session, agent_ids=[agent.id], on=on.date()):
        factors.append(rule.boost)
    windows = await hypercare_repository.running(tx.session, team=agent.owning_team, process=process, on=on.date())
    factors += [w.sampling_boost for w in windows]
    return max(factors)


async def get_sample(tx: Tx, sample_id: uuid.UUID, *, for_update: bool = False) -> Sample:
    sample = await repository.sample(tx.session, sample_id, for_update=for_update)
    if sample is None:
        raise NotFound(f"sample {sample_id} does not exist")
    scoped_team(tx, sample.owning_team)
    return sample


async def review(tx: Tx, sample: Sample, data: ReviewCreate) -> Sample:
    if sample.status != SampleStatus.PENDING:
        raise Conflict(f"the sample was reviewed by {sample.reviewer} already")
    checklist = await get_checklist(tx, sample.process)
    weights = {i["code"]: int(i["weight"]) for i in checklist.items}
    _check_answers(data, weights, {d["code"] for d in checklist.defects})
    before = SampleRead.model_validate(sample)
    passed = sum(w for code, w in weights.items() if data.answers[code])
    sample.score = (Decimal(passed) * HUNDRED / sum(weights.values())).quantize(Decimal("0.01"))
    sample.answers, sample.defects = data.answers, [d.model_dump() for d in data.defects]
    sample.status, sample.reviewer, sample.reviewed_at = SampleStatus.REVIEWED, tx.actor.subject, tx.now()
    await tx.session.flush()
    await tx.audit("quality.reviewed", entity_type="quality_sample", entity_id=sample.id, before=before,
                   after=SampleRead.model_validate(sample))
    await tx.emit(QualityReviewed(sample_id=sample.id, process=sample.process, agent=sample.agent,
                                  team=sample.owning_team, score=sample.score,
                                  defects=tuple(d.code for d in data.defects), reviewer=tx.actor.subject,
                                  defect_types=_defect_types(data, checklist), reviewed_at=tx.now()))
    await _training_needs(tx, sample, data, checklist)
    return sample


def _defect_types(data: ReviewCreate, checklist: Checklist) -> tuple[DefectType, ...]:
    """The defects found with their taxonomy's category and label, once per code (kpi's quality by category)."""
    taxonomy = {d["code"]: d for d in checklist.defects}
    return tuple(DefectType(code=code, category=taxonomy[code]["category"], label=taxonomy[code]["label"])
                 for code in dict.fromkeys(d.code for d in data.defects))


def _check_answers(data: ReviewCreate, weights: dict[str, int], taxonomy: set[str]) -> None:
    missing, unknown = sorted(set(weights) - set(data.answers)), sorted(set(data.answers) - set(weights))
    errors = [{"pointer": "#/answers", "detail": f"answer every checklist item: {', '.join(missing)} missing"}
              ] if missing else []
    errors += [{"pointer": f"#/answers/{code}", "detail": f"{code} is not on the checklist"} for code in unknown]
    errors += [{"pointer": f"#/defects/{i}/code", "detail": f"{d.code} is not in the defect taxonomy"}
               for i, d in enumerate(data.defects) if d.code not in taxonomy]
    if errors:
        raise ValidationFailed("the review does not fit the process's checklist", errors=errors)


async def _training_needs(tx: Tx, sample: Sample, data: ReviewCreate, checklist: Checklist) -> None:
    trains = {d["code"] for d in checklist.defects if d.get("training", True)}
    agent = await org_repository.agent_by_subject(tx.session, sample.agent)
    if agent is None:
        return
    for code in dict.fromkeys(d.code for d in data.defects if d.code in trains):
        await assign_for_defect(tx, agent, process=sample.process, defect_code=code, sop_code=checklist.sop_code)


async def list_samples(tx: Tx, *, page: PageRequest, team: str | None, agent: str | None, process: str | None,
                       status: SampleStatus | None) -> Page[SampleRead]:
    stmt = repository.samples_query(team=scoped_team(tx, team), agent=agent, process=process, status=status)
    return await keyset_page(tx.session, stmt, page=page, order_by=[Sample.sampled_at, Sample.id],
                             item=SampleRead.model_validate)


async def scores(tx: Tx, *, level: str, team: str | None, since: datetime | None,
                 until: datetime | None) -> list[QualityScore]:
    team = scoped_team(tx, team)
    rows = await repository.scores(tx.session, level=level, team=team, since=since, until=until)
    defects: dict[str, Counter[str]] = {}
    for key, code, n in await repository.defect_counts(tx.session, level=level, team=team, since=since, until=until):
        defects.setdefault(key, Counter())[code] += n
    names = await _names(tx, level)
    return [QualityScore(level=level, key=key, name=names.get(key, key), reviewed=n,
                         score=_round(avg), score_text=measure(_round(avg), "percent"),
                         defects=dict(defects.get(key, Counter()).most_common())) for key, n, avg in rows]


async def first_pass(tx: Tx, *, level: str, team: str | None, since: datetime | None,
                     until: datetime | None) -> list[FirstPass]:
    totals: dict[str, list[int]] = {}
    reasons: dict[str, Counter[str]] = {}
    for key, reason, accepted, n in await repository.first_pass(tx.session, level=level, team=scoped_team(tx, team),
                                                                since=since, until=until):
        counts = totals.setdefault(key, [0, 0])
        counts[0] += n
        counts[1] += n if accepted else 0
        if not accepted:
            reasons.setdefault(key, Counter())[reason or "unknown"] += n
    result = []
    for key, (submitted, passed) in sorted(totals.items()):
        rate = _round(Decimal(passed) * HUNDRED / submitted) if submitted else None
        result.append(FirstPass(level=level, key=key, submitted=submitted, accepted=passed,
                                rate=rate, rate_text=measure(rate, "percent"),
                                rejection_reasons=dict(reasons.get(key, Counter()).most_common())))
    return result


async def _names(tx: Tx, level: str) -> dict[str, str]:
    if level == "agent":
        return {a.subject: a.name for a in await org_repository.agents(tx.session)}
    if level == "team":
        return {t.code: t.name for t in await org_repository.teams(tx.session, team=None)}
    return {v.code: v.name for v in await org_repository.vendors(tx.session)}


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def _round(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


async def defect_labels(tx: Tx) -> dict[str, str]:
    """Defect code → its label in the taxonomies of every checklist."""
    return {d["code"]: d["label"] for c in await repository.checklists(tx.session) for d in c.defects}
