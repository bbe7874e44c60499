from __future__ import annotations

from fastapi import APIRouter

from o2c_common.errors import problem_responses
from o2c_common.uow import TxDep
from o2c_invoicing.history import service
from o2c_invoicing.history.schemas import BatchRead, HistoricalBatch
from o2c_invoicing.permissions import Importer

router = APIRouter(prefix="/invoices/historical", tags=["history"])


@router.post("/batch", response_model=BatchRead, responses=problem_responses(400, 401, 403, 409, 413, 422))
async def import_historical_batch(data: HistoricalBatch, tx: TxDep, _principal: Importer) -> BatchRead:
    """Integration only: load up to 1,000 invoices issued elsewhere in one request, each row the body of
    `POST /invoices/historical` (same validation, audit and `invoice.issued` event), written with a few multi-row
    statements.

    Idempotent per row: a row whose id and number were loaded before is answered `existing` and nothing is
    written for it (a row without `id` gets the uuid5 of its legal entity and number), so a chunk may be sent
    again after a timeout. All or nothing: when a row would be refused (a number of the live series, a number or
    id another invoice holds, or a number twice in the chunk), the answer is one problem (`historical-rows-refused`,
    409 when every refusal is a clash with a stored invoice, else 422) listing each row in `errors` (`index`,
    `pointer`, `type`, `detail`), and nothing of the chunk is written. Malformed rows are a 422 whose pointers
    name the rows (`#/invoices/3/lines/0/quantity`)."""
    return await service.import_batch(tx, data.invoices)
