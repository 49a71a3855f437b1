"""Say once, not per offer, why offers keep failing to fit a task."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class MismatchLog:
    """Logs the first run of unusable offers; quiet again until a launch works."""

    def __init__(self, need: str) -> None:
        self.need = need
        self.reported = False

    def offers_unusable(self, reasons: list[str]) -> None:
        if self.reported or not reasons:
            log.debug("offers still do not fit: %s", "; ".join(reasons))
            return
        self.reported = True
        log.warning(
            "offers do not fit a task (need %s); agents offer: %s",
            self.need,
            "; ".join(reasons),
        )

    def launched(self) -> None:
        self.reported = False
